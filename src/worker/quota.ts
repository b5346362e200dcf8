// WeChat's customer-service limits, counted per user in Redis so that every worker sees the
// same count. An interaction opens a window: a user message allows config.quota.messageReplies
// (5) within messageWindowS (48 h); a menu click, follow or QR scan allows eventReplies (3)
// within eventWindowS (60 s). Past the count or the window WeChat answers 45047 / 45015, so the
// worker refuses such a reply itself, at once, without an API call.
// https://developers.weixin.qq.com/doc/offiaccount/Message_Management/Service_Center_messages.html
//
// One hash per (appid, openid): ${prefix}:quota:${appid}:${openid}
//   kind, allowed, used, start, expiresAt (ms), origin (the dedup key that opened it),
//   j:<outbound job id> for each reply counted (a retried send is not counted twice).
// A new interaction replaces the window unless the open one is at least as generous (as many
// replies left and open as long) or started later (a late, retried job never resets a newer one).
import type { Redis } from 'ioredis';
import { ReplyQuotaError } from './worker-errors.js';

export type WindowKind = 'message' | 'event';

export interface QuotaWindow {
  readonly kind: WindowKind;
  readonly allowed: number;
  readonly remaining: number;
  /** Epoch ms. */
  readonly expiresAt: number;
}

export interface ReplyQuota {
  /** Opens (or keeps) the window for an interaction that happened at `stampMs`. Idempotent per `origin`. */
  open(appid: string, openid: string, interaction: { kind: WindowKind; stampMs: number; origin: string }): Promise<void>;
  peek(appid: string, openid: string): Promise<QuotaWindow | null>;
  /** Counts one reply (once per jobId); `count: false` only checks the window (typing). Throws ReplyQuotaError. */
  take(appid: string, openid: string, jobId: string, options?: { count?: boolean }): Promise<QuotaWindow>;
}

export interface ReplyQuotaOptions {
  prefix: string;
  messageReplies: number;
  messageWindowS: number;
  eventReplies: number;
  eventWindowS: number;
}

// Kept past expiry so that a late reply is told "window closed", not "no window".
const KEEP_AFTER_MS = 3600_000;

const NOW_MS = `local t = redis.call('TIME') local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)`;

const OPEN = `${NOW_MS}
local allowed, start, exp = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
if exp <= now then return 0 end
local cur = redis.call('HMGET', KEYS[1], 'allowed', 'used', 'start', 'expiresAt', 'origin')
if cur[5] == ARGV[5] then return 0 end
if cur[4] and tonumber(cur[4]) > now then
  local left = tonumber(cur[1]) - tonumber(cur[2])
  if tonumber(cur[3]) > start then return 0 end
  if left >= allowed and tonumber(cur[4]) >= exp then return 0 end
end
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'kind', ARGV[1], 'allowed', allowed, 'used', 0, 'start', start, 'expiresAt', exp, 'origin', ARGV[5])
redis.call('PEXPIREAT', KEYS[1], exp + ${KEEP_AFTER_MS})
return 1`;

// Returns {status, kind, allowed, used, expiresAt}; status 1 ok, -1 no window, -2 closed, -3 used up.
const TAKE = `${NOW_MS}
local h = redis.call('HMGET', KEYS[1], 'kind', 'allowed', 'used', 'expiresAt')
if not h[1] then return {-1, '', 0, 0, 0} end
local allowed, used, exp = tonumber(h[2]), tonumber(h[3]), tonumber(h[4])
if redis.call('HEXISTS', KEYS[1], 'j:' .. ARGV[1]) == 1 then return {1, h[1], allowed, used, exp} end
if exp <= now then return {-2, h[1], allowed, used, exp} end
if ARGV[2] == '1' then
  if used >= allowed then return {-3, h[1], allowed, used, exp} end
  used = redis.call('HINCRBY', KEYS[1], 'used', 1)
  redis.call('HSET', KEYS[1], 'j:' .. ARGV[1], 1)
end
return {1, h[1], allowed, used, exp}`;

export function createReplyQuota({ redis }: { redis: Redis }, { prefix, messageReplies, messageWindowS, eventReplies, eventWindowS }: ReplyQuotaOptions): ReplyQuota {
  const key = (appid: string, openid: string) => `${prefix}:quota:${appid}:${openid}`;
  const grant = { message: { allowed: messageReplies, windowMs: messageWindowS * 1000 }, event: { allowed: eventReplies, windowMs: eventWindowS * 1000 } };

  return {
    async open(appid, openid, { kind, stampMs, origin }) {
      const start = Math.min(stampMs, Date.now()); // a clock ahead of ours never stretches the window
      const { allowed, windowMs } = grant[kind];
      await redis.eval(OPEN, 1, key(appid, openid), kind, allowed, start, start + windowMs, origin);
    },

    async peek(appid, openid) {
      const h = await redis.hmget(key(appid, openid), 'kind', 'allowed', 'used', 'expiresAt');
      if (!h[0] || Number(h[3]) <= Date.now()) return null;
      const allowed = Number(h[1]);
      return { kind: h[0] as WindowKind, allowed, remaining: Math.max(0, allowed - Number(h[2])), expiresAt: Number(h[3]) };
    },

    async take(appid, openid, jobId, { count = true } = {}) {
      const [status, kind, allowed, used, expiresAt] = (await redis.eval(TAKE, 1, key(appid, openid), jobId, count ? '1' : '0')) as [number, string, number, number, number];
      const window = { kind: kind as WindowKind, allowed, remaining: Math.max(0, allowed - used), expiresAt };
      if (status === 1) return window;
      if (status === -1) throw new ReplyQuotaError('quota_no_window', `no customer-service window is open for ${openid}: the user has not interacted (message, menu click, follow, scan) recently`);
      if (status === -2) throw new ReplyQuotaError('quota_window_closed', `the ${kind} window of ${openid} closed at ${new Date(expiresAt).toISOString()} (WeChat would answer 45015)`);
      throw new ReplyQuotaError('quota_exhausted', `all ${allowed} replies of the ${kind} window of ${openid} are used (WeChat would answer 45047)`);
    },
  };
}
