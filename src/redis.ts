// Every Redis connection wxgate opens, with the settings BullMQ asks for per role
// (https://docs.bullmq.io/guide/going-to-production): producers fail fast instead of
// queueing commands while disconnected (so the receiver can spool), workers wait forever.
// enableAutoPipelining stays off: on loopback it halved BullMQ's add throughput here.
// With REDIS_CLUSTER_NODES the same roles get an ioredis Cluster instead (issue 18): BullMQ
// takes it as its connection, and redis-keys.ts keeps each command's keys in one slot.
import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';
import type { ClusterNodeAddress } from './config.js';

export type RedisRole = 'producer' | 'worker';

/** One Redis or a cluster: the command API wxgate uses is the same on both. */
export type RedisConnection = Redis | Cluster;

// Its shape lives in config.ts, which must not pull ioredis's types into the handlers' declarations
// (test/package/installed-package.test.ts).
export type { ClusterNodeAddress };

/** Where Redis is: a URL (REDIS_URL), or the cluster's nodes (REDIS_CLUSTER_NODES). */
export interface RedisTarget {
  readonly redisUrl: string;
  readonly redisClusterNodes?: readonly ClusterNodeAddress[];
}

const backoff = (n: number) => Math.min(n * 200, 2000);

function roleOptions(role: RedisRole): RedisOptions {
  return role === 'producer'
    ? { enableOfflineQueue: false, maxRetriesPerRequest: 1, connectTimeout: 2000, retryStrategy: backoff }
    : { maxRetriesPerRequest: null, retryStrategy: backoff };
}

function createCluster(nodes: readonly ClusterNodeAddress[], role: RedisRole, extra: RedisOptions): Cluster {
  const { enableOfflineQueue, retryStrategy, ...redisOptions } = { ...roleOptions(role), ...extra };
  const options: ClusterOptions = {
    redisOptions,
    // The cluster's own reconnects and queue; its nodes' connections are the cluster's business.
    enableOfflineQueue: enableOfflineQueue ?? true,
    clusterRetryStrategy: retryStrategy ? (n) => retryStrategy(n) ?? null : retryStrategy === null ? null : backoff,
    // A failover moves slots: ask again instead of failing the command at once.
    retryDelayOnFailover: 200,
    retryDelayOnClusterDown: 200,
  };
  return new Cluster(nodes.map((n) => ({ host: n.host, port: n.port })), options);
}

export function createRedis(target: string | RedisTarget, role: RedisRole, extra: RedisOptions = {}): RedisConnection {
  const { redisUrl, redisClusterNodes } = typeof target === 'string' ? { redisUrl: target, redisClusterNodes: undefined } : target;
  if (redisClusterNodes && redisClusterNodes.length > 0) return createCluster(redisClusterNodes, role, extra);
  return new Redis(redisUrl, { ...roleOptions(role), ...extra });
}
