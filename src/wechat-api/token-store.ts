// Where the shared access_token lives in Redis, and the small atomic operations the keeper
// builds on. Keys (named by redis-keys.ts, all of one account in one Cluster slot):
//   token(appid)              hash: token, expiresAt, fetchedAt, source, refreshAt (ms)
//   tokenLock(appid)          SET NX PX holder id; freed by compare-and-delete or expiry
//   tokenFetches(appid, day)  fetch counter per Beijing day YYYYMMDD (WeChat's quota day)
//   tokenBackoff(appid)       last fetch failure, expires when the next try is allowed
//   tokenFailures(appid)      consecutive fetch failures (sets the backoff length)
import { randomBytes } from 'node:crypto';
import type { RedisConnection } from '../redis.js';
import type { RedisKeys } from '../redis-keys.js';
import type { TokenSource } from './token-fetcher.js';

export interface StoredToken {
  token: string;
  /** Epoch ms when WeChat stops accepting the token (measured from before the fetch: never late). */
  expiresAt: number;
  fetchedAt: number;
  source: TokenSource;
  /** Epoch ms from which a refresh-ahead is due. */
  refreshAt: number;
}

export interface Backoff {
  code: string;
  errcode?: number;
  errmsg: string;
  path: string;
  failures: number;
  until: number;
}

export interface TokenStore {
  read(appid: string): Promise<StoredToken | null>;
  /** Writes if we still hold the lock, or if the stored token is still `replace` (null: none stored). */
  write(appid: string, value: StoredToken, guard: { lockValue: string; replace: string | null }): Promise<boolean>;
  lock(appid: string, ttlMs: number): Promise<string | null>;
  unlock(appid: string, lockValue: string): Promise<void>;
  /** Counts one fetch attempt today; returns today's count. */
  countFetch(appid: string, now?: number): Promise<number>;
  fetchesToday(appid: string, now?: number): Promise<number>;
  backoff(appid: string): Promise<Backoff | null>;
  recordFailure(appid: string, failure: Omit<Backoff, 'failures' | 'until'>, delayFor: (failures: number) => number): Promise<Backoff>;
  clearFailures(appid: string): Promise<void>;
}

// Compare-and-swap write: the lock holder writes; a writer whose lock expired mid-fetch writes
// only if nobody replaced the token meanwhile (so a late, slow fetch never clobbers a newer one).
const WRITE = `
local cur = redis.call('HGET', KEYS[1], 'token')
local owner = redis.call('GET', KEYS[2])
if owner == ARGV[1] or (cur == false and ARGV[2] == '') or cur == ARGV[2] then
  redis.call('HSET', KEYS[1], 'token', ARGV[3], 'expiresAt', ARGV[4], 'fetchedAt', ARGV[5], 'source', ARGV[6], 'refreshAt', ARGV[7])
  redis.call('PEXPIREAT', KEYS[1], ARGV[4])
  return 1
end
return 0`;

const UNLOCK = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

/** YYYYMMDD in Beijing time (UTC+8, no DST): WeChat's daily quotas reset at Beijing midnight. */
export function beijingDay(now = Date.now()): string {
  return new Date(now + 8 * 3600_000).toISOString().slice(0, 10).replace(/-/g, '');
}

const DAY_COUNTER_TTL_S = 2 * 86400;

export function createTokenStore({ redis }: { redis: RedisConnection }, { keys }: { keys: RedisKeys }): TokenStore {
  const key = keys.token;
  const dayKey = (appid: string, now: number) => keys.tokenFetches(appid, beijingDay(now));

  return {
    async read(appid) {
      const h = await redis.hgetall(key(appid));
      if (!h.token) return null;
      return {
        token: h.token,
        expiresAt: Number(h.expiresAt),
        fetchedAt: Number(h.fetchedAt),
        source: (h.source ?? 'stable') as TokenSource,
        refreshAt: Number(h.refreshAt ?? h.expiresAt),
      };
    },

    async write(appid, v, { lockValue, replace }) {
      const written = await redis.eval(
        WRITE,
        2,
        key(appid),
        keys.tokenLock(appid),
        lockValue,
        replace ?? '',
        v.token,
        String(v.expiresAt),
        String(v.fetchedAt),
        v.source,
        String(v.refreshAt),
      );
      return written === 1;
    },

    async lock(appid, ttlMs) {
      const value = randomBytes(12).toString('hex');
      const ok = await redis.set(keys.tokenLock(appid), value, 'PX', Math.max(1, Math.round(ttlMs)), 'NX');
      return ok === 'OK' ? value : null;
    },

    async unlock(appid, lockValue) {
      await redis.eval(UNLOCK, 1, keys.tokenLock(appid), lockValue);
    },

    async countFetch(appid, now = Date.now()) {
      const k = dayKey(appid, now);
      const [[, count]] = (await redis.multi().incr(k).expire(k, DAY_COUNTER_TTL_S).exec()) as [[unknown, number], unknown];
      return count;
    },

    async fetchesToday(appid, now = Date.now()) {
      return Number((await redis.get(dayKey(appid, now))) ?? 0);
    },

    async backoff(appid) {
      const raw = await redis.get(keys.tokenBackoff(appid));
      return raw ? (JSON.parse(raw) as Backoff) : null;
    },

    async recordFailure(appid, failure, delayFor) {
      const failuresKey = keys.tokenFailures(appid);
      const failures = await redis.incr(failuresKey);
      const delay = Math.max(1, Math.round(delayFor(failures)));
      // Forget the streak after a long quiet spell, but not while it still shapes the backoff.
      await redis.pexpire(failuresKey, Math.max(delay * 4, 60_000));
      const backoff: Backoff = { ...failure, failures, until: Date.now() + delay };
      await redis.set(keys.tokenBackoff(appid), JSON.stringify(backoff), 'PX', delay);
      return backoff;
    },

    async clearFailures(appid) {
      await redis.del(keys.tokenBackoff(appid), keys.tokenFailures(appid));
    },
  };
}
