// The access_token central control (中控服务器). WeChat allows one valid token per account (a
// new classic fetch invalidates the previous one after ~5 min) and ~2000 fetches a day, so every
// process shares one token through Redis and exactly one process fetches at a time:
// https://developers.weixin.qq.com/doc/offiaccount/Basic_Information/Get_access_token.html
//
// - get(): in-memory copy (≤ memoryTtlMs, never past expiry) → Redis hash → fetch under a lock.
//   A process that finds no token and no lock fetches; the others poll Redis until it is there.
// - invalidate(stale): compare-and-swap passive refresh. Only a token still equal to `stale` is
//   replaced, so fifty workers that all got 40001 with the same token cause one fetch.
// - refresh-ahead: a timer (start()) and get() itself notice `refreshAt` and refresh under the lock
//   while everyone keeps using the current token.
// - fetch failures back off (shared through Redis, so N processes do not each hammer WeChat).
//   The first failure of a run is an error line, the repeats during the backoff are warnings; the
//   state change itself (sends wait) is token-availability.ts's line.
import type { RedisConnection } from '../redis.js';
import type { AppConfig } from '../config.js';
import { RequestError } from '../errors.js';
import { fingerprint } from '../fingerprint.js';
import type { Logger } from '../logger.js';
import { TransientApiError } from './errcodes.js';
import type { HttpExchange } from './http-exchange.js';
import type { TokenAvailability } from './token-availability.js';
import { backoffDelay, backoffError, describeFetchFailure } from './token-failure.js';
import { NoAppsecretError, toTokenUnavailable } from './token-unavailable.js';
import { createTokenFetcher, type FetchedToken, type TokenSource } from './token-fetcher.js';
import type { RedisKeys } from '../redis-keys.js';
import { beijingDay, createTokenStore, type StoredToken } from './token-store.js';

/** How long before expiry WeChat's stable_token API starts issuing the next token. */
const STABLE_RENEW_WINDOW_S = 300;

export interface TokenInfo {
  token: string;
  /** Epoch ms. */
  expiresAt: number;
}

export interface TokenStats {
  appid: string;
  fetchesToday: number;
  dailyQuota: number;
  quotaWarnAt: number;
  token: { fingerprint: string; expiresAt: number; fetchedAt: number; refreshAt: number; source: TokenSource } | null;
  backoff: { code: string; errcode?: number; failures: number; until: number } | null;
  /** This process's own counters since it started. */
  process: { fetches: number; fetchErrors: number; invalidations: number; memoryHits: number; redisReads: number };
}

export interface TokenKeeper {
  has(appid: string): boolean;
  appids(): string[];
  get(appid: string): Promise<TokenInfo>;
  invalidate(appid: string, staleToken: string): Promise<TokenInfo>;
  /** A refresh now, under the lock. `force` asks the stable API for a new token (20 a day). */
  refresh(appid: string, options?: { force?: boolean }): Promise<TokenInfo>;
  /** The stored token without fetching (null if none). */
  peek(appid: string): Promise<StoredToken | null>;
  stats(appid: string): Promise<TokenStats>;
  start(): Promise<void>;
  /**
   * Stops the refresh timer and new fetches; waits for the fetches and Redis calls in flight at
   * most `timeoutMs` (default the keeper's stopTimeoutMs), then leaves them: with Redis down they
   * would never settle, and a process shutting down must not wait on them (issue 14 item 5).
   */
  stop(options?: { timeoutMs?: number }): Promise<void>;
}

export interface TokenKeeperDeps {
  redis: RedisConnection;
  logger: Logger;
  http?: HttpExchange;
  /** Told when a fetch here brings a token, and when none can be had at start. */
  availability?: Pick<TokenAvailability, 'down' | 'up'>;
}

export interface TokenKeeperOptions {
  apps: readonly AppConfig[];
  apiBase: string;
  keys: RedisKeys;
  refreshAheadS?: number;
  dailyQuota?: number;
  quotaWarnRatio?: number;
  memoryTtlMs?: number;
  lockTtlMs?: number;
  waitTimeoutMs?: number;
  /** One token fetch; kept below lockTtlMs so a fetch ends before its lock does. */
  fetchTimeoutMs?: number;
  refreshTickMs?: number;
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  /** How long stop() waits for work in flight before it leaves it (Redis down: forever otherwise). */
  stopTimeoutMs?: number;
}

type Reason = 'missing' | 'invalidate' | 'ahead' | 'manual';
type Cached = StoredToken & { cachedUntil: number };

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export function createTokenKeeper(
  { redis, logger, http, availability }: TokenKeeperDeps,
  {
    apps,
    apiBase,
    keys,
    refreshAheadS = 600,
    dailyQuota = 2000,
    quotaWarnRatio = 0.8,
    memoryTtlMs = 60_000,
    lockTtlMs = 10_000,
    waitTimeoutMs = 15_000,
    fetchTimeoutMs = Math.min(5000, Math.round(lockTtlMs * 0.8)),
    refreshTickMs = 1000,
    backoffBaseMs = 1000,
    backoffMaxMs = 60_000,
    stopTimeoutMs = 2000,
  }: TokenKeeperOptions,
): TokenKeeper {
  const log = logger.child({ layer: 'token' });
  const store = createTokenStore({ redis }, { keys });
  const fetcher = createTokenFetcher({ http }, { apiBase, timeoutMs: fetchTimeoutMs });
  const byAppid = new Map(apps.map((a) => [a.appid, a]));
  const memory = new Map<string, Cached>();
  const inflight = new Map<string, Promise<TokenInfo>>();
  const invalidating = new Map<string, Promise<TokenInfo>>();
  const refreshing = new Map<string, Promise<void>>();
  const warnedDay = new Map<string, string>();
  const counters = new Map<string, TokenStats['process']>();
  const quotaWarnAt = Math.max(1, Math.ceil(dailyQuota * quotaWarnRatio));
  const lastKick = new Map<string, number>();
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;

  const count = (appid: string) => {
    let c = counters.get(appid);
    if (!c) counters.set(appid, (c = { fetches: 0, fetchErrors: 0, invalidations: 0, memoryHits: 0, redisReads: 0 }));
    return c;
  };

  function appOf(appid: string): AppConfig {
    const app = byAppid.get(appid);
    if (!app) throw new RequestError('unknown_app', `appid ${appid} is not configured here`);
    return app;
  }

  // What stop() gives up on: its callers get token_keeper_stopped instead of waiting on a Redis
  // call that may never settle (ioredis keeps a worker connection's commands while Redis is down).
  const abandonments = new Set<(err: Error) => void>();
  function abandonable<T>(work: Promise<T>): Promise<T> {
    let abandon!: (err: Error) => void;
    const given = new Promise<never>((_, reject) => (abandon = reject));
    abandonments.add(abandon);
    return Promise.race([work, given]).finally(() => abandonments.delete(abandon));
  }
  const stoppedError = (what: string) => new TransientApiError({ code: 'token_keeper_stopped', errmsg: `the token keeper stopped with ${what} in flight`, path: '', kind: 'transient' });

  function single(key: string, work: () => Promise<TokenInfo>): Promise<TokenInfo> {
    let p = inflight.get(key);
    if (!p) {
      p = abandonable(work()).finally(() => inflight.delete(key));
      inflight.set(key, p);
    }
    return p;
  }

  const usable = (s: StoredToken | null, replace: string | null): s is StoredToken =>
    s !== null && s.expiresAt > Date.now() && (replace === null || s.token !== replace);

  /** Keeps a short copy in memory; never replaces a newer copy with an older one. */
  function remember(appid: string, s: StoredToken): TokenInfo {
    const now = Date.now();
    const held = memory.get(appid);
    if (!(held && held.token !== s.token && held.fetchedAt > s.fetchedAt && held.cachedUntil > now)) {
      memory.set(appid, { ...s, cachedUntil: Math.min(now + memoryTtlMs, s.expiresAt) });
    }
    return { token: s.token, expiresAt: s.expiresAt };
  }

  async function readStore(appid: string): Promise<StoredToken | null> {
    count(appid).redisReads++;
    return store.read(appid);
  }

  // ── fetching (only ever called while holding the lock) ────────────────────────────────

  async function attempt(app: AppConfig, force: boolean): Promise<FetchedToken & { startedAt: number }> {
    const startedAt = Date.now();
    const fetchesToday = await store.countFetch(app.appid, startedAt);
    count(app.appid).fetches++;
    const day = beijingDay(startedAt);
    if (fetchesToday >= quotaWarnAt && warnedDay.get(app.appid) !== day) {
      warnedDay.set(app.appid, day);
      log.warn({ appid: app.appid, fetchesToday, dailyQuota }, `access_token fetches today reached ${Math.round(quotaWarnRatio * 100)}% of the daily quota`);
    }
    try {
      return { ...(await fetcher.fetch(app, { force })), startedAt };
    } catch (err) {
      count(app.appid).fetchErrors++;
      const f = describeFetchFailure(err, app.appid);
      const backoff = await store
        .recordFailure(app.appid, { code: f.code, errcode: f.errcode, errmsg: f.errmsg, path: f.path }, (n) => backoffDelay({ baseMs: backoffBaseMs, maxMs: backoffMaxMs }, n, f.quota))
        .catch(() => null);
      const source: TokenSource = app.tokenApi === 'classic' ? 'classic' : force ? 'stable_forced' : 'stable';
      const repeat = backoff !== null && backoff.failures > 1;
      log[repeat ? 'warn' : f.level](
        { appid: app.appid, ms: Date.now() - startedAt, source, errcode: f.errcode, code: f.code, errmsg: f.errmsg, failures: backoff?.failures, retryInMs: backoff ? backoff.until - Date.now() : undefined, fetchesToday },
        `access_token fetch failed: ${f.hint}`,
      );
      throw err;
    }
  }

  async function fetchAndStore(app: AppConfig, cur: StoredToken | null, replace: string | null, lockValue: string, reason: Reason, force: boolean): Promise<TokenInfo> {
    let got = await attempt(app, force);
    // The stable API hands back the same token while WeChat thinks it valid; if that is the very
    // token WeChat just rejected, only a forced refresh (20 a day, 30 s apart) gets a new one.
    if (app.tokenApi === 'stable' && !force && reason === 'invalidate' && replace !== null && got.token === replace) {
      log.warn({ appid: app.appid, fp: fingerprint(replace) }, 'stable_token returned the rejected token again: forcing a refresh');
      got = await attempt(app, true);
    }
    await store.clearFailures(app.appid);
    availability?.up(app.appid);
    const now = Date.now();
    const expiresAt = got.startedAt + got.expiresInMs;
    const same = cur !== null && cur.token === got.token;
    const value: StoredToken = {
      token: got.token,
      expiresAt,
      fetchedAt: same ? cur.fetchedAt : now,
      source: same ? cur.source : got.source,
      // Same token back (stable API, not yet renewed): ask again a fifth of the remaining time
      // later. New token: refreshAhead before expiry, but never in the first half of its life.
      refreshAt: same
        ? now + Math.min(60_000, Math.max(100, (expiresAt - now) / 5))
        : Math.max(expiresAt - aheadS(app) * 1000, got.startedAt + got.expiresInMs / 2),
    };
    const written = await store.write(app.appid, value, { lockValue, replace: cur?.token ?? null });
    log.info(
      { appid: app.appid, ms: now - got.startedAt, source: got.source, errcode: 0, fp: fingerprint(got.token), reason, renewed: !same, expiresInS: Math.round(got.expiresInMs / 1000), written },
      same ? 'access_token fetched: unchanged' : 'access_token fetched',
    );
    if (!written) {
      // Our lock expired mid-fetch and someone else stored a newer token: theirs wins.
      const now2 = await readStore(app.appid);
      if (usable(now2, replace)) return remember(app.appid, now2);
    }
    return remember(app.appid, value);
  }

  /** The lock dance: fetch if we get the lock, otherwise wait (bounded) for the holder's token. */
  async function obtain(app: AppConfig, replace: string | null, reason: Reason, force = false): Promise<TokenInfo> {
    const deadline = Date.now() + waitTimeoutMs;
    let pause = 20;
    for (;;) {
      const lockValue = app.appsecret ? await store.lock(app.appid, lockTtlMs) : null;
      if (lockValue) {
        try {
          const cur = await readStore(app.appid);
          if (usable(cur, replace)) return remember(app.appid, cur); // replaced while we waited
          const backoff = reason === 'manual' ? null : await store.backoff(app.appid);
          if (backoff) throw backoffError(backoff);
          return await fetchAndStore(app, cur, replace, lockValue, reason, force);
        } finally {
          await store.unlock(app.appid, lockValue).catch(() => undefined);
        }
      }
      if (stopped) throw stoppedError(`a wait for the access_token of ${app.appid}`);
      if (Date.now() >= deadline) {
        if (!app.appsecret) {
          throw new NoAppsecretError(app.appid);
        }
        throw new TransientApiError({ code: 'token_wait_timeout', errmsg: `waited ${waitTimeoutMs} ms for another process to fetch the access_token of ${app.appid}`, path: '', kind: 'transient' });
      }
      await sleep(pause);
      pause = Math.min(200, pause * 1.5);
      const cur = await readStore(app.appid);
      if (usable(cur, replace)) return remember(app.appid, cur);
    }
  }

  // ── refresh-ahead ─────────────────────────────────────────────────────────────────────

  /**
   * The stable API hands out a new token only in the last 5 minutes of the current one
   * ("在有效期倒计时5分钟内发起调用会获取新的access_token"): asking earlier just returns the same
   * token, so for it refresh-ahead is capped inside that window.
   */
  function aheadS(app: AppConfig): number {
    return app.tokenApi === 'classic' ? refreshAheadS : Math.min(refreshAheadS, STABLE_RENEW_WINDOW_S - 10);
  }

  async function refreshAhead(app: AppConfig): Promise<void> {
    if (!app.appsecret || (await store.backoff(app.appid))) return;
    const lockValue = await store.lock(app.appid, lockTtlMs);
    if (!lockValue) return; // someone is fetching; everyone keeps using the current token
    try {
      const cur = await readStore(app.appid);
      if (cur && cur.expiresAt > Date.now() && cur.refreshAt > Date.now()) {
        remember(app.appid, cur);
        return;
      }
      await fetchAndStore(app, cur, cur?.token ?? null, lockValue, cur ? 'ahead' : 'missing', false);
    } finally {
      await store.unlock(app.appid, lockValue).catch(() => undefined);
    }
  }

  /** Refresh-ahead attempts from this process: one at a time per app, and not more often than the tick. */
  function kickRefresh(app: AppConfig): void {
    const now = Date.now();
    if (stopped || refreshing.has(app.appid) || (lastKick.get(app.appid) ?? 0) > now - refreshTickMs / 2) return;
    lastKick.set(app.appid, now);
    const p = abandonable(refreshAhead(app))
      .catch(() => undefined) // already logged by attempt(); the next tick tries again after backoff
      .finally(() => refreshing.delete(app.appid));
    refreshing.set(app.appid, p);
  }

  async function tick(): Promise<void> {
    for (const app of apps) {
      try {
        const cur = await readStore(app.appid);
        if (cur && cur.expiresAt > Date.now()) remember(app.appid, cur);
        if (!cur || cur.refreshAt <= Date.now()) kickRefresh(app);
      } catch (err) {
        log.warn({ appid: app.appid, err: (err as Error).message }, 'refresh-ahead check failed');
      }
    }
  }

  // ── the API ───────────────────────────────────────────────────────────────────────────

  async function get(appid: string): Promise<TokenInfo> {
    const app = appOf(appid);
    const c = memory.get(appid);
    const now = Date.now();
    if (c && c.cachedUntil > now) {
      count(appid).memoryHits++;
      if (c.refreshAt <= now) kickRefresh(app);
      return { token: c.token, expiresAt: c.expiresAt };
    }
    // An invalidation running here will bring the replacement: wait for it rather than
    // re-caching the token it is replacing.
    const pending = invalidating.get(appid);
    if (pending) return pending.catch(() => load(app));
    return load(app);
  }

  function load(app: AppConfig): Promise<TokenInfo> {
    return single(`get\0${app.appid}`, async () => {
      const s = await readStore(app.appid);
      if (usable(s, null)) {
        if (s.refreshAt <= Date.now()) kickRefresh(app);
        return remember(app.appid, s);
      }
      return obtain(app, null, 'missing');
    });
  }

  function invalidate(appid: string, staleToken: string): Promise<TokenInfo> {
    const app = appOf(appid);
    count(appid).invalidations++;
    if (memory.get(appid)?.token === staleToken) memory.delete(appid);
    const p = single(`inv\0${appid}\0${staleToken}`, async () => {
      const s = await readStore(appid);
      if (usable(s, staleToken)) return remember(appid, s); // already replaced by someone
      log.info({ appid, fp: fingerprint(staleToken) }, 'access_token rejected by WeChat: replacing it');
      return obtain(app, staleToken, 'invalidate');
    });
    invalidating.set(appid, p);
    void p.finally(() => invalidating.get(appid) === p && invalidating.delete(appid)).catch(() => undefined);
    return p;
  }

  async function refresh(appid: string, { force = false }: { force?: boolean } = {}): Promise<TokenInfo> {
    const app = appOf(appid);
    const cur = await readStore(appid);
    memory.delete(appid);
    return obtain(app, cur?.token ?? null, 'manual', force && app.tokenApi === 'stable');
  }

  async function stats(appid: string): Promise<TokenStats> {
    appOf(appid);
    const [fetchesToday, s, b] = await Promise.all([store.fetchesToday(appid), store.read(appid), store.backoff(appid)]);
    return {
      appid,
      fetchesToday,
      dailyQuota,
      quotaWarnAt,
      token: s && s.expiresAt > Date.now() ? { fingerprint: fingerprint(s.token), expiresAt: s.expiresAt, fetchedAt: s.fetchedAt, refreshAt: s.refreshAt, source: s.source } : null,
      backoff: b ? { code: b.code, errcode: b.errcode, failures: b.failures, until: b.until } : null,
      process: { ...count(appid) },
    };
  }

  async function start(): Promise<void> {
    if (timer) return;
    stopped = false;
    timer = setInterval(() => void tick(), refreshTickMs);
    timer.unref();
    await Promise.all(
      apps.map(async (app) => {
        if (!app.appsecret) {
          log.error({ appid: app.appid }, `no appsecret for ${app.appid}: set WECHAT_APPSECRET (or "appsecret" in WXGATE_APPS_FILE); this process can only use tokens fetched by another one`);
          return;
        }
        try {
          const t = await get(app.appid);
          log.info({ appid: app.appid, fp: fingerprint(t.token), expiresAt: t.expiresAt }, 'access_token ready');
        } catch (err) {
          const unavailable = toTokenUnavailable(err, app.appid);
          if (availability && unavailable) return availability.down(unavailable);
          const f = describeFetchFailure(err, app.appid);
          log.error({ appid: app.appid, errcode: f.errcode, code: f.code }, `access_token unavailable at start: ${f.hint}`);
        }
      }),
    );
  }

  async function stop({ timeoutMs = stopTimeoutMs }: { timeoutMs?: number } = {}): Promise<void> {
    stopped = true;
    if (timer) clearInterval(timer);
    timer = undefined;
    const pending = [...refreshing.values(), ...inflight.values()];
    if (pending.length === 0) return;
    let cut: NodeJS.Timeout | undefined;
    const left = await Promise.race([
      Promise.allSettled(pending).then(() => 0),
      new Promise<number>((r) => {
        cut = setTimeout(() => r(pending.length), Math.max(0, timeoutMs));
        cut.unref();
      }),
    ]);
    clearTimeout(cut);
    // Left to settle (or not) on their own: the caller disconnects Redis next, which fails them.
    if (left > 0) for (const abandon of [...abandonments]) abandon(stoppedError('a token fetch or Redis call'));
    if (left > 0) log.warn({ pending: left, timeoutMs, redis: redis.status }, 'token keeper stopped with fetches or Redis calls still in flight: left unfinished');
  }

  return {
    has: (appid) => byAppid.has(appid),
    appids: () => [...byAppid.keys()],
    get,
    invalidate,
    refresh,
    peek: async (appid) => {
      appOf(appid);
      return store.read(appid);
    },
    stats,
    start,
    stop,
  };
}
