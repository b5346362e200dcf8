import { once } from 'node:events';
import type { Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createRedis } from '../src/redis.js';
import { createWriteBatch } from '../src/redis-write-batch.js';
import { deleteKeys, REDIS_URL, testPrefix } from './helpers/redis-keys.js';

const streamOf = (redis: object) => (redis as { stream: Socket }).stream;
const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

describe('createWriteBatch', () => {
  const prefix = testPrefix('batch');
  const redis = createRedis(REDIS_URL, 'producer');
  afterEach(async () => {
    await deleteKeys(prefix);
  });

  it('holds the commands of one turn and sends them together at its end, in order', async () => {
    if (redis.status !== 'ready') await once(redis, 'ready');
    const batch = createWriteBatch(redis);
    batch();
    expect(streamOf(redis).writableCorked).toBe(1);
    const replies = Array.from({ length: 50 }, (_, i) => {
      batch(); // every caller asks; the socket is corked once per turn
      return redis.rpush(`${prefix}:list`, String(i));
    });
    expect(streamOf(redis).writableCorked).toBe(1);
    expect(await Promise.all(replies)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    expect(streamOf(redis).writableCorked).toBe(0);
    expect(await redis.lrange(`${prefix}:list`, 0, -1)).toEqual(Array.from({ length: 50 }, (_, i) => String(i)));
  });

  it('corks again in the next turn, and leaves a connection that is not ready alone', async () => {
    const batch = createWriteBatch(redis);
    batch();
    await nextTurn();
    expect(streamOf(redis).writableCorked).toBe(0);
    batch();
    expect(streamOf(redis).writableCorked).toBe(1);
    await nextTurn();
    expect(streamOf(redis).writableCorked).toBe(0);

    const down = createRedis('redis://127.0.0.1:1', 'producer', { lazyConnect: true, retryStrategy: () => null });
    expect(() => createWriteBatch(down)()).not.toThrow();
    down.disconnect();
    redis.disconnect();
  });
});
