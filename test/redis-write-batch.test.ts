import { once } from 'node:events';
import type { Socket } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { createRedis } from '../src/redis.js';
import { batchWrites } from '../src/redis-write-batch.js';
import { deleteKeys, REDIS_URL, testPrefix } from './helpers/redis-keys.js';

const prefix = testPrefix('batch');
const redis = batchWrites(createRedis(REDIS_URL, 'producer'));
const stream = () => (redis as unknown as { stream: Socket }).stream;
const nextTurn = () => new Promise((resolve) => setImmediate(resolve));
afterAll(async () => {
  await deleteKeys(prefix);
  redis.disconnect();
});

describe('batchWrites: the commands of one turn leave together', () => {
  it('any command corks the socket until the turn ends; replies and order are unchanged', async () => {
    if (redis.status !== 'ready') await once(redis, 'ready');
    const replies = Array.from({ length: 50 }, (_, i) => redis.rpush(`${prefix}:l`, String(i)));
    expect(stream().writableCorked).toBe(1); // once per turn, however many commands
    const evaluated = redis.eval('return ARGV[1]', 0, 'x');
    expect(await Promise.all(replies)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    expect(await evaluated).toBe('x');
    expect(stream().writableCorked).toBe(0);
    expect(await redis.lrange(`${prefix}:l`, 0, -1)).toEqual(Array.from({ length: 50 }, (_, i) => String(i)));
  });

  it('corks again in the next turn', async () => {
    const first = redis.ping();
    expect(stream().writableCorked).toBe(1);
    await first;
    await nextTurn();
    expect(stream().writableCorked).toBe(0);
    const second = redis.ping();
    expect(stream().writableCorked).toBe(1);
    expect(await second).toBe('PONG');
  });

  it('leaves a connection that is not ready alone: the command fails as it would unbatched', async () => {
    const down = batchWrites(createRedis('redis://127.0.0.1:1', 'producer', { lazyConnect: true, retryStrategy: () => null }));
    await expect(down.get('k')).rejects.toThrow();
    down.disconnect();
  });
});
