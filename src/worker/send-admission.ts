// What a send needs before its API call, in one round trip: the user's reply quota (quota.ts:
// counted once per job id, refused when used up or closed, unknown when there is no record) and,
// only when that does not refuse it, a token from the appid's bucket (rate-limiter.ts), in that
// order, in one script: each Redis round trip costs the worker more CPU than the Lua inside it
// costs Redis.
// Both keys belong to the account, so redis-keys.ts puts them in one Cluster slot, as one
// script's keys must be.
import type { RedisConnection } from '../redis.js';
import { createLuaScript, LUA_NOW_MS } from './lua-script.js';
import { TAKE_LUA_FUNCTION, windowOrRefusal, type QuotaWindow, type TakeReply } from './quota.js';
import { ACQUIRE_LUA_FUNCTION, type RateLimiterOptions } from './rate-limiter.js';
import { ReplyQuotaError } from './worker-errors.js';

export interface Admission {
  /** null: no quota record (never opened, or lost with Redis's data): the send goes, WeChat's errcode decides. */
  readonly window: QuotaWindow | null;
  /** 0: send now (a token was taken); else the milliseconds to wait before trying again. */
  readonly waitMs: number;
}

export interface SendAdmission {
  /** Counts the reply (once per jobId; `count: false` only checks the window) and takes a rate token. Throws ReplyQuotaError. */
  admit(appid: string, openid: string, jobId: string, options?: { count?: boolean }): Promise<Admission>;
}

const ADMIT = `${LUA_NOW_MS}${TAKE_LUA_FUNCTION}${ACQUIRE_LUA_FUNCTION}
local r = take(KEYS[1], ARGV[1], ARGV[2], now)
if r[1] >= 0 then r[6] = acquire(KEYS[2], tonumber(ARGV[3]), tonumber(ARGV[4]), now) end
return r`;

export function createSendAdmission({ redis }: { redis: RedisConnection }, { keys, ratePerSecond, burst = ratePerSecond }: RateLimiterOptions): SendAdmission {
  const cap = Math.max(1, burst);
  const script = createLuaScript({ redis }, { source: ADMIT });
  return {
    async admit(appid, openid, jobId, { count = true } = {}) {
      const r = (await script.run([keys.quota(appid, openid), keys.rate(appid)], [jobId, count ? '1' : '0', ratePerSecond, cap])) as [...TakeReply, number?];
      const window = windowOrRefusal(r as unknown as TakeReply, openid);
      if (window instanceof ReplyQuotaError) throw window;
      return { window, waitMs: Number(r[5] ?? 0) };
    },
  };
}
