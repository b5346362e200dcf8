import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { createRateLimiter } from '../../src/worker/rate-limiter.js';
import { deleteKeys, REDIS_URL, testPrefix } from '../helpers/redis-keys.js';

const prefix = testPrefix('rate');
const redis = new Redis(REDIS_URL);
afterAll(async () => {
  await deleteKeys(prefix);
  redis.disconnect();
});

describe('outbound rate limit per appid (a token bucket in Redis)', () => {
  it('lets a second\'s worth through, then says how long to wait; other accounts are not held back', async () => {
    // One call per 100 s: the second call waits however slow this machine is.
    const limiter = createRateLimiter({ redis }, { prefix, ratePerSecond: 0.01, burst: 1 });
    expect(await limiter.acquire('wxA')).toBe(0);
    const wait = await limiter.acquire('wxA');
    expect(wait).toBeGreaterThan(0);
    expect(wait).toBeLessThanOrEqual(100_000);
    expect(await limiter.acquire('wxB')).toBe(0);
  });

  it('a bucket of N lets N calls through at once', async () => {
    const limiter = createRateLimiter({ redis }, { prefix: `${prefix}:b`, ratePerSecond: 0.001, burst: 3 });
    const waits = [];
    for (let i = 0; i < 4; i += 1) waits.push(await limiter.acquire('wxC'));
    expect(waits.slice(0, 3)).toEqual([0, 0, 0]);
    expect(waits[3]).toBeGreaterThan(0);
  });
});
