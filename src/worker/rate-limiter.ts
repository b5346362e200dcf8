// Outbound calls per appid stay under config.worker.outboundRatePerSecond across every worker
// process. BullMQ's own limiter counts per queue, which would let one busy account hold back
// all the others; per-appid queue names would need a worker per account. A token bucket per
// appid in Redis is both smaller and fairer: a job that finds the bucket empty is put back as
// delayed for exactly the wait, which does not count as an attempt. The bucket is taken in the
// same script as the reply quota (send-admission.ts), one round trip per send.
import type { RedisKeys } from '../redis-keys.js';

// Bucket of `burst` tokens refilled at `rate` per second; Redis's clock, so all hosts agree.
// acquire(key, rate, burst, now) → 0 if the call may go now (a token is taken), else the ms to wait.
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

export interface RateLimiterOptions {
  keys: RedisKeys;
  ratePerSecond: number;
  burst?: number;
}
