// ioredis connections with the settings BullMQ asks for per role
// (https://docs.bullmq.io/guide/going-to-production): producers fail fast instead of
// queueing commands while disconnected (so the receiver can spool), workers wait forever.
// enableAutoPipelining stays off: on loopback it halved BullMQ's add throughput here.
import { Redis, type RedisOptions } from 'ioredis';

export type RedisRole = 'producer' | 'worker';

export function createRedis(url: string, role: RedisRole, extra: RedisOptions = {}): Redis {
  const options: RedisOptions =
    role === 'producer'
      ? { enableOfflineQueue: false, maxRetriesPerRequest: 1, connectTimeout: 2000, retryStrategy: (n) => Math.min(n * 200, 2000) }
      : { maxRetriesPerRequest: null, retryStrategy: (n) => Math.min(n * 200, 2000) };
  return new Redis(url, { ...options, ...extra });
}
