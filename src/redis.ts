// Every Redis connection wxgate opens, with the settings BullMQ asks for per role
// (https://docs.bullmq.io/guide/going-to-production): producers fail fast instead of
// queueing commands while disconnected (so the receiver can spool), workers wait forever.
// enableAutoPipelining stays off: on loopback it halved BullMQ's add throughput here.
// With REDIS_CLUSTER_NODES the same roles get an ioredis Cluster instead (issue 18): BullMQ
// takes it as its connection, and redis-keys.ts keeps each command's keys in one slot. The
// cluster's credentials and TLS (REDIS_CLUSTER_NODES's URL entries) go to every node it learns
// of; REDIS_TLS_CA_FILE's CA is trusted for rediss:// on both.
import type { ConnectionOptions } from 'node:tls';
import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';
import type { ClusterConnection, ClusterNodeAddress } from './config.js';

export type RedisRole = 'producer' | 'worker';

/** One Redis or a cluster: the command API wxgate uses is the same on both. */
export type RedisConnection = Redis | Cluster;

// Its shape lives in config.ts, which must not pull ioredis's types into the handlers' declarations
// (test/package/installed-package.test.ts).
export type { ClusterConnection, ClusterNodeAddress };

/** Where Redis is: a URL (REDIS_URL), or the cluster's nodes (REDIS_CLUSTER_NODES), and how to reach it. */
export interface RedisTarget {
  readonly redisUrl: string;
  readonly redisClusterNodes?: readonly ClusterNodeAddress[];
  /** The cluster's credentials and TLS; none when absent. */
  readonly redisCluster?: ClusterConnection;
  /** CA certificates (PEM) for rediss://; absent: Node's public CAs. */
  readonly redisTlsCa?: string;
}

const backoff = (n: number) => Math.min(n * 200, 2000);

function roleOptions(role: RedisRole): RedisOptions {
  return role === 'producer'
    ? { enableOfflineQueue: false, maxRetriesPerRequest: 1, connectTimeout: 2000, retryStrategy: backoff }
    : { maxRetriesPerRequest: null, retryStrategy: backoff };
}

const tlsOptions = (ca: string | undefined): ConnectionOptions => (ca === undefined ? {} : { ca });

/** What every node of the cluster is reached with: its credentials and TLS. */
export function clusterNodeOptions({ redisCluster: connection = { tls: false }, redisTlsCa: ca }: Pick<RedisTarget, 'redisCluster' | 'redisTlsCa'>): RedisOptions {
  return {
    ...(connection.username !== undefined && { username: connection.username }),
    ...(connection.password !== undefined && { password: connection.password }),
    ...(connection.tls && { tls: tlsOptions(ca) }),
  };
}

function createCluster(target: RedisTarget & { redisClusterNodes: readonly ClusterNodeAddress[] }, role: RedisRole, extra: RedisOptions): Cluster {
  const { enableOfflineQueue, retryStrategy, ...redisOptions } = { ...roleOptions(role), ...extra };
  const options: ClusterOptions = {
    redisOptions: { ...clusterNodeOptions(target), ...redisOptions },
    // The cluster's own reconnects and queue; its nodes' connections are the cluster's business.
    enableOfflineQueue: enableOfflineQueue ?? true,
    clusterRetryStrategy: retryStrategy ? (n) => retryStrategy(n) ?? null : retryStrategy === null ? null : backoff,
    // A failover moves slots: ask again instead of failing the command at once.
    retryDelayOnFailover: 200,
    retryDelayOnClusterDown: 200,
  };
  return new Cluster(target.redisClusterNodes.map((n) => ({ host: n.host, port: n.port })), options);
}

export function createRedis(target: string | RedisTarget, role: RedisRole, extra: RedisOptions = {}): RedisConnection {
  const t: RedisTarget = typeof target === 'string' ? { redisUrl: target } : target;
  const { redisUrl, redisClusterNodes, redisTlsCa } = t;
  if (redisClusterNodes && redisClusterNodes.length > 0) return createCluster({ ...t, redisClusterNodes }, role, extra);
  // The URL carries its own credentials; rediss:// turns TLS on, with the CA given here if any.
  const tls = redisUrl.startsWith('rediss:') && redisTlsCa !== undefined ? { tls: tlsOptions(redisTlsCa) } : {};
  return new Redis(redisUrl, { ...roleOptions(role), ...tls, ...extra });
}
