// Why a cluster cannot be reached, when the cluster client does not say: ioredis asks for the
// slots on connections of its own whose errors it drops, so a failed TLS handshake arrives only
// as "Failed to refresh slots cache" / "Connection is closed". One connection to one of
// REDIS_CLUSTER_NODES, with the same credentials and TLS, shows the node's own error.
import { Redis } from 'ioredis';
import { clusterNodeOptions, type RedisTarget } from './redis.js';

/** The error connecting to the first node gives (a TLS or AUTH error, or an outage's); undefined when it connects. */
export async function diagnoseClusterConnect(target: RedisTarget, { timeoutMs = 3000 } = {}): Promise<unknown> {
  const node = target.redisClusterNodes?.[0];
  if (!node) return undefined;
  const conn = new Redis({
    ...clusterNodeOptions(target),
    host: node.host,
    port: node.port,
    lazyConnect: true,
    connectTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    enableOfflineQueue: false,
    connectionName: 'wxgate-diagnosis',
  });
  // The socket's error comes first (the certificate's, the AUTH reply); connect() then rejects with "Connection is closed".
  let first: unknown;
  conn.on('error', (err: Error) => {
    first ??= err;
  });
  try {
    await conn.connect();
    return first;
  } catch (err) {
    return first ?? err;
  } finally {
    conn.disconnect();
  }
}
