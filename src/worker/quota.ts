// WeChat's customer-service limits, counted per user in Redis so that every worker sees the
// same count. An interaction opens a window: a user message allows config.quota.messageReplies
// (5) within messageWindowS (48 h); a menu click, follow or QR scan allows eventReplies (3)
// within eventWindowS (60 s). Past the count or the window WeChat answers 45047 / 45015, so the
// worker refuses such a reply itself, at once, without an API call.
// https://developers.weixin.qq.com/doc/offiaccount/Message_Management/Service_Center_messages.html
//
// One hash per (appid, openid): keys.quota(appid, openid) (redis-keys.ts)
//   kind, allowed, used, start, expiresAt (ms), origin (the dedup key that opened it),
//   j:<outbound job id> for each reply counted (a retried send is not counted twice).
// A new interaction replaces the window unless the open one is at least as generous (as many
// replies left and open as long) or started later (a late, retried job never resets a newer one).
import type { RedisConnection } from '../redis.js';
import type { RedisKeys } from '../redis-keys.js';
import { createLuaScript, LUA_NOW_MS } from './lua-script.js';
import { ReplyQuotaError } from './worker-errors.js';

import type { QuotaWindow, WindowKind } from './quota-window.js';

export type { QuotaWindow, WindowKind };

export interface ReplyQuota {
  /**
   * Opens (or keeps) the window for an interaction that happened at `stampMs`. Idempotent per
   * `origin`. Resolves with the window then open, what peek() would say (same round trip).
   */
  open(appid: string, openid: string, interaction: { kind: WindowKind; stampMs: number; origin: string }): Promise<QuotaWindow | null>;
  peek(appid: string, openid: string): Promise<QuotaWindow | null>;
}

export interface ReplyQuotaOptions {
  keys: RedisKeys;
  messageReplies: number;
  messageWindowS: number;
  eventReplies: number;
  eventWindowS: number;
}

// Kept past expiry so that a late reply is told "window closed": a missing record means
// "unknown" (take() below), and the reply would go to WeChat to be refused there.
const KEEP_AFTER_MS = 3600_000;

const FIELDS = `'kind', 'allowed', 'used', 'expiresAt'`;

// Ends with the hash's window fields, so the caller learns the window without a second call.
// An interaction whose window has already passed (a job handled late) is recorded as closed when
// nothing else is, for the same reason.
const OPEN = `${LUA_NOW_MS}
local function open(key, kind, allowed, start, exp, origin)
  if exp <= now then
    if redis.call('EXISTS', key) == 0 then
      redis.call('HSET', key, 'kind', kind, 'allowed', allowed, 'used', 0, 'start', start, 'expiresAt', exp, 'origin', origin)
      redis.call('PEXPIRE', key, ${KEEP_AFTER_MS})
    end
    return
  end
  local cur = redis.call('HMGET', key, 'allowed', 'used', 'start', 'expiresAt', 'origin')
  if cur[5] == origin then return end
  if cur[4] and tonumber(cur[4]) > now then
    local left = tonumber(cur[1]) - tonumber(cur[2])
    if tonumber(cur[3]) > start then return end
    if left >= allowed and tonumber(cur[4]) >= exp then return end
  end
  redis.call('DEL', key)
  redis.call('HSET', key, 'kind', kind, 'allowed', allowed, 'used', 0, 'start', start, 'expiresAt', exp, 'origin', origin)
  redis.call('PEXPIREAT', key, exp + ${KEEP_AFTER_MS})
end
open(KEYS[1], ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4]), ARGV[5])
return redis.call('HMGET', KEYS[1], ${FIELDS})`;

/**
 * Lua function take(key, jobId, count, now) → {status, kind, allowed, used, expiresAt}: counts one
 * reply (once per jobId; count '0' only checks the window, for typing). Status 1 ok, 0 no record,
 * -2 closed, -3 used up. Run by send-admission.ts in the same script as the rate limit.
 * No record is "unknown", not "closed": RedisConnection may have lost it (a restart without persistence, a
 * flush, an eviction: issue 14), and refusing then failed every reply of the handlers running at
 * that moment. The reply is sent and WeChat's errcode (45015, 45047) decides.
 */
export const TAKE_LUA_FUNCTION = `
local function take(key, jobId, count, now)
  local h = redis.call('HMGET', key, ${FIELDS})
  if not h[1] then return {0, '', 0, 0, 0} end
  local allowed, used, exp = tonumber(h[2]), tonumber(h[3]), tonumber(h[4])
  if redis.call('HEXISTS', key, 'j:' .. jobId) == 1 then return {1, h[1], allowed, used, exp} end
  if exp <= now then return {-2, h[1], allowed, used, exp} end
  if count == '1' then
    if used >= allowed then return {-3, h[1], allowed, used, exp} end
    used = redis.call('HINCRBY', key, 'used', 1)
    redis.call('HSET', key, 'j:' .. jobId, 1)
  end
  return {1, h[1], allowed, used, exp}
end`;

export type TakeReply = [status: number, kind: string, allowed: number, used: number, expiresAt: number];

/** The window take() counted against (null: no record, the window is unknown), or the ReplyQuotaError it was refused with. */
export function windowOrRefusal([status, kind, allowed, used, expiresAt]: TakeReply, openid: string): QuotaWindow | null | ReplyQuotaError {
  if (status === 1) return { kind: kind as WindowKind, allowed, remaining: Math.max(0, allowed - used), expiresAt };
  if (status === 0) return null;
  if (status === -2) return new ReplyQuotaError('quota_window_closed', `the ${kind} window of ${openid} closed at ${new Date(expiresAt).toISOString()} (WeChat would answer 45015)`);
  return new ReplyQuotaError('quota_exhausted', `all ${allowed} replies of the ${kind} window of ${openid} are used (WeChat would answer 45047)`);
}


/** HMGET kind, allowed, used, expiresAt → the open window, or null (none, or past its end). */
function openWindow(h: (string | null)[]): QuotaWindow | null {
  if (!h[0] || Number(h[3]) <= Date.now()) return null;
  const allowed = Number(h[1]);
  return { kind: h[0] as WindowKind, allowed, remaining: Math.max(0, allowed - Number(h[2])), expiresAt: Number(h[3]) };
}

export function createReplyQuota({ redis }: { redis: RedisConnection }, { keys, messageReplies, messageWindowS, eventReplies, eventWindowS }: ReplyQuotaOptions): ReplyQuota {
  const grant = { message: { allowed: messageReplies, windowMs: messageWindowS * 1000 }, event: { allowed: eventReplies, windowMs: eventWindowS * 1000 } };
  const openScript = createLuaScript({ redis }, { source: OPEN });

  return {
    async open(appid, openid, { kind, stampMs, origin }) {
      const start = Math.min(stampMs, Date.now()); // a clock ahead of ours never stretches the window
      const { allowed, windowMs } = grant[kind];
      const h = (await openScript.run([keys.quota(appid, openid)], [kind, allowed, start, start + windowMs, origin])) as (string | null)[];
      return openWindow(h);
    },

    async peek(appid, openid) {
      return openWindow(await redis.hmget(keys.quota(appid, openid), 'kind', 'allowed', 'used', 'expiresAt'));
    },
  };
}
