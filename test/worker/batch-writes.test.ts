import { once } from 'node:events';
import type { Socket } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { createRedis } from '../../src/redis.js';
import { batchWrites } from '../../src/worker/batch-writes.js';
import { deleteKeys, REDIS_URL, testPrefix } from '../helpers/redis-keys.js';

const prefix = testPrefix('wbatch');
const redis = batchWrites(createRedis(REDIS_URL, 'worker'));
const stream = () => (redis as unknown as { stream: Socket }).stream;
afterAll(async () => {
  await deleteKeys(prefix);
  redis.disconnect();
});

describe('worker connection: the commands of one turn leave together', () => {
  it('any command corks the socket until the turn ends; replies and order are unchanged', async () => {
    if (redis.status !== 'ready') await once(redis, 'ready');
    const replies = Array.from({ length: 20 }, (_, i) => redis.rpush(`${prefix}:l`, String(i)));
    expect(stream().writableCorked).toBe(1);
    const evaluated = redis.eval('return ARGV[1]', 0, 'x');
    expect(await Promise.all(replies)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(await evaluated).toBe('x');
    expect(stream().writableCorked).toBe(0);
    expect(await redis.lrange(`${prefix}:l`, 0, -1)).toEqual(Array.from({ length: 20 }, (_, i) => String(i)));
  });
});
