// Outbound calls per appid stay under config.worker.outboundRatePerSecond across every worker
// process. BullMQ's own limiter counts per queue, which would let one busy account hold back
// all the others; per-appid queue names would need a worker per account. A token bucket per
// appid in Redis (one Lua call per send) is both smaller and fairer: a job that finds the bucket
// empty is put back as delayed for exactly the wait, which does not count as an attempt.
import type { Redis } from 'ioredis';

export interface RateLimiter {
  /** 0 if the call may go now (a token is taken), else the milliseconds to wait. */
  acquire(appid: string): Promise<number>;
}

// Bucket of `burst` tokens refilled at `rate` per second; Redis's clock, so all hosts agree.
const ACQUIRE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local rate, burst = tonumber(ARGV[1]), tonumber(ARGV[2])
local h = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(h[1]) or burst
local ts = tonumber(h[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - ts) * rate / 1000)
local wait = 0
if tokens >= 1 then tokens = tokens - 1 else wait = math.ceil((1 - tokens) * 1000 / rate) end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', now)
redis.call('PEXPIRE', KEYS[1], math.ceil(burst * 1000 / rate) + 1000)
return wait`;

export function createRateLimiter({ redis }: { redis: Redis }, { prefix, ratePerSecond, burst = ratePerSecond }: { prefix: string; ratePerSecond: number; burst?: number }): RateLimiter {
  const cap = Math.max(1, burst);
  return {
    async acquire(appid) {
      return Number(await redis.eval(ACQUIRE, 1, `${prefix}:rate:${appid}`, ratePerSecond, cap));
    },
  };
}
