// A key under the prefix that says "this dataset is the one wxgate has been writing to": a random
// epoch id, written once by the first process and adopted by every other. A FLUSHALL, FLUSHDB, an
// eviction or a restart without persistence takes it with everything else; the connections of a
// flush or an eviction stay up, so only reading the marker again tells (issue 14). A process that
// finds it gone or replaced (another process found it gone first and wrote a new one) knows its
// data went between its last look and now, and adopts the new epoch.
import { randomUUID } from 'node:crypto';
import type { RedisConnection } from '../redis.js';
import type { RedisKeys } from '../redis-keys.js';

export interface DatasetMarker {
  readonly key: string;
  /** The epoch id in Redis now, or null. */
  read(): Promise<string | null>;
  /** Writes a new epoch id unless one is there; resolves with the one in Redis. */
  arm(): Promise<string | null>;
}

export function createDatasetMarker({ redis }: { redis: RedisConnection }, { keys }: { keys: RedisKeys }): DatasetMarker {
  const key = keys.datasetMarker();
  return {
    key,
    read: () => redis.get(key),
    async arm() {
      await redis.set(key, randomUUID(), 'NX');
      return redis.get(key);
    },
  };
}
