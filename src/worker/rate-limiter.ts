// Outbound calls per appid stay under config.worker.outboundRatePerSecond across every worker
// process. BullMQ's own limiter counts per queue, which would let one busy account hold back
// all the others; per-appid queue names would need a worker per account. A token bucket per
// appid in Redis (one Lua call per send) is both smaller and fairer: a job that finds the bucket
// empty is put back as delayed for exactly the wait, which does not count as an attempt.
import type { Redis } from 'ioredis';
import { createLuaScript, LUA_NOW_MS } from './lua-script.js';

export interface RateLimiter {
  /** 0 if the call may go now (a token is taken), else the milliseconds to wait. */
  acquire(appid: string): Promise<number>;
}

// Bucket of `burst` tokens refilled at `rate` per second; Redis's clock, so all hosts agree.
// A Lua function so that send-admission.ts can run it in the same script as the reply quota.
export const ACQUIRE_LUA_FUNCTION = `
local function acquire(key, rate, burst, now)
  local h = redis.call('HMGET', key, 'tokens', 'ts')
  local tokens = tonumber(h[1]) or burst
  local ts = tonumber(h[2]) or now
  tokens = math.min(burst, tokens + math.max(0, now - ts) * rate / 1000)
  local wait = 0
  if tokens >= 1 then tokens = tokens - 1 else wait = math.ceil((1 - tokens) * 1000 / rate) end
  redis.call('HSET', key, 'tokens', tostring(tokens), 'ts', now)
  redis.call('PEXPIRE', key, math.ceil(burst * 1000 / rate) + 1000)
  return wait
end`;

const ACQUIRE = `${LUA_NOW_MS}${ACQUIRE_LUA_FUNCTION}
return acquire(KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2]), now)`;

export const rateKey = (prefix: string, appid: string) => `${prefix}:rate:${appid}`;

export interface RateLimiterOptions {
  prefix: string;
  ratePerSecond: number;
  burst?: number;
}

export function createRateLimiter({ redis }: { redis: Redis }, { prefix, ratePerSecond, burst = ratePerSecond }: RateLimiterOptions): RateLimiter {
  const cap = Math.max(1, burst);
  const script = createLuaScript({ redis }, { source: ACQUIRE });
  return {
    async acquire(appid) {
      return Number(await script.run([rateKey(prefix, appid)], [ratePerSecond, cap]));
    },
  };
}
