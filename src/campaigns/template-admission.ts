// What a template send must pass before its API call, in one round trip: its campaign's state
// (paused: the job is parked; cancelled: not sent), the account's quota pause (after a 45009,
// until WeChat's quota day turns) and the account's own rate (WXGATE_TEMPLATE_RATE, a bucket
// of its own, shared with nothing else).
// The bucket reserves: a send that finds no token takes the next one ahead and is told how
// long to wait for it, so the worker sleeps exactly that long and sends on time — instead of
// every job in flight being put back and polling, which would bounce thousands of jobs through
// Redis per second and miss the rate. A wait longer than `maxWaitMs` reserves nothing and the
// job is put back as delayed instead.
import type { RedisConnection } from '../redis.js';
import type { RedisKeys } from '../redis-keys.js';
import { createLuaScript, LUA_NOW_MS } from '../worker/lua-script.js';

export type Admission =
  | { kind: 'send'; waitMs: number }
  | { kind: 'rate'; waitMs: number }
  | { kind: 'quota_paused'; waitMs: number }
  | { kind: 'paused' }
  | { kind: 'cancelled' };

const ADMIT = `${LUA_NOW_MS}
local state = redis.call('HGET', KEYS[1], 'state')
if state == 'cancelled' then return {4, 0} end
if state == 'paused' then redis.call('SADD', KEYS[4], ARGV[1]) return {3, 0} end
local pause = redis.call('PTTL', KEYS[2])
if pause > 0 then return {2, pause} end
local rate = tonumber(ARGV[2])
if rate <= 0 then return {0, 0} end
local burst = tonumber(ARGV[3])
local h = redis.call('HMGET', KEYS[3], 'tokens', 'ts')
local tokens = tonumber(h[1]) or burst
local ts = tonumber(h[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - ts) * rate / 1000)
local wait = 0
if tokens < 1 then wait = math.ceil((1 - tokens) * 1000 / rate) end
if wait > tonumber(ARGV[4]) then
  redis.call('HSET', KEYS[3], 'tokens', tostring(tokens), 'ts', now)
  return {1, wait}
end
redis.call('HSET', KEYS[3], 'tokens', tostring(tokens - 1), 'ts', now)
redis.call('PEXPIRE', KEYS[3], math.ceil(tonumber(ARGV[4]) + burst * 1000 / rate) + 60000)
return {0, wait}`;

export interface TemplateAdmission {
  admit(appid: string, campaignId: string | undefined, jobId: string): Promise<Admission>;
}

export function createTemplateAdmission(
  { redis }: { redis: RedisConnection },
  { keys, ratePerSecond, burst = ratePerSecond === undefined ? 1 : Math.max(1, Math.ceil(ratePerSecond / 10)), maxWaitMs = 1000 }: { keys: RedisKeys; ratePerSecond?: number; burst?: number; maxWaitMs?: number },
): TemplateAdmission {
  const script = createLuaScript({ redis }, { source: ADMIT });
  return {
    async admit(appid, campaignId, jobId) {
      // A single message has no campaign: a key that never exists stands in (Cluster wants every key named).
      const camp = campaignId ?? '-';
      const [code, ms] = (await script.run([keys.campaign(appid, camp), keys.templatePause(appid), keys.templateRate(appid), keys.campaignParked(appid, camp)], [jobId, ratePerSecond ?? 0, burst, maxWaitMs])) as [number, number];
      switch (code) {
        case 0:
          return { kind: 'send', waitMs: ms };
        case 1:
          return { kind: 'rate', waitMs: ms };
        case 2:
          return { kind: 'quota_paused', waitMs: ms };
        case 3:
          return { kind: 'paused' };
        default:
          return { kind: 'cancelled' };
      }
    },
  };
}
