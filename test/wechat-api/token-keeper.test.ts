// The keeper against real Redis and the mock WeChat API. Several keepers, each on its own Redis
// connection, stand for several processes (the child-process versions are in
// test/integration/token-processes.test.ts).
import { afterEach, describe, expect, it, vi } from 'vitest';
import { fingerprint } from '../../src/fingerprint.js';
import { createWeChatClient } from '../../src/wechat-api/client.js';
import { TransientApiError, WeChatApiError } from '../../src/wechat-api/errcodes.js';
import type { TokenKeeper } from '../../src/wechat-api/token-keeper.js';
import { app, sleep, startHarness, until, type TokenHarness } from '../fixtures/token/harness.js';

const APPID = 'wxkeeper000001';
let h: TokenHarness;

afterEach(async () => {
  await h?.close();
});

const fifty = <T>(work: (i: number) => Promise<T>) => Promise.all(Array.from({ length: 50 }, (_, i) => work(i)));
const fetches = () => h.mock.state.stats().tokenFetches;
const tokenLines = () => h.logs.lines.filter((l) => l.layer === 'token');

describe('token keeper: sharing one token', () => {
  it('two processes × fifty concurrent callers at start: exactly one fetch, one token', async () => {
    h = await startHarness();
    const [a, b] = [h.keeper([app(APPID, 'sec')]), h.keeper([app(APPID, 'sec')])];
    const results = await Promise.all([fifty(() => a.get(APPID)), fifty(() => b.get(APPID))]);
    const tokens = new Set(results.flat().map((t) => t.token));
    expect(tokens.size).toBe(1);
    expect(fetches()).toMatchObject({ total: 1, stable: 1, issued: 1 });
    expect(h.mock.state.tokenStatus([...tokens][0]!)).toBe('valid');
    const stats = await a.stats(APPID);
    expect(stats).toMatchObject({ appid: APPID, fetchesToday: 1, dailyQuota: 2000, token: { source: 'stable', fingerprint: fingerprint([...tokens][0]!) } });
    const stored = await h.redis().hgetall(`${h.prefix}:token:${APPID}`);
    expect(Object.keys(stored).sort()).toEqual(['expiresAt', 'fetchedAt', 'refreshAt', 'source', 'token']);
  });

  it('serves from memory without a Redis round trip, and never past expiry', async () => {
    h = await startHarness({ tokenTtlS: 0.6 });
    const k = h.keeper([app(APPID, 'sec')], { refreshAheadS: 0 });
    const first = await k.get(APPID);
    const reads = (await k.stats(APPID)).process.redisReads;
    for (let i = 0; i < 100; i++) expect((await k.get(APPID)).token).toBe(first.token);
    expect((await k.stats(APPID)).process.redisReads).toBe(reads);
    await sleep(700);
    const second = await k.get(APPID);
    expect(second.token).not.toBe(first.token);
    expect(second.expiresAt).toBeGreaterThan(Date.now());
  });

  it('fifty simultaneous invalidations of the same stale token in two processes: one fetch', async () => {
    h = await startHarness();
    const [a, b] = [h.keeper([app(APPID, 'sec', 'classic')]), h.keeper([app(APPID, 'sec', 'classic')])];
    const stale = (await a.get(APPID)).token;
    await b.get(APPID);
    const results = await Promise.all([fifty(() => a.invalidate(APPID, stale)), fifty(() => b.invalidate(APPID, stale))]);
    const fresh = new Set(results.flat().map((t) => t.token));
    expect(fresh.size).toBe(1);
    expect(fresh.has(stale)).toBe(false);
    expect(fetches()).toMatchObject({ total: 2, classic: 2 });
    // A late caller whose stale token was already replaced just gets the new one.
    expect((await b.invalidate(APPID, stale)).token).toBe([...fresh][0]);
    expect(fetches().total).toBe(2);
  });

  it('stable API: a normal call is tried first; forced refresh only when it returns the rejected token', async () => {
    h = await startHarness();
    const k = h.keeper([app(APPID, 'sec')]);
    // Expired at WeChat: the normal call brings a new token, no forced refresh.
    const t1 = (await k.get(APPID)).token;
    h.mock.state.expire(APPID);
    const t2 = (await k.invalidate(APPID, t1)).token;
    expect(t2).not.toBe(t1);
    expect(fetches()).toMatchObject({ total: 2, forced: 0 });
    // WeChat rejected a token it still calls current (e.g. 40001 under a fault): forced refresh.
    const t3 = (await k.invalidate(APPID, t2)).token;
    expect(t3).not.toBe(t2);
    expect(fetches()).toMatchObject({ total: 4, forced: 1 });
    expect(h.mock.state.tokenStatus(t2)).toBe('grace');
    expect(tokenLines().some((l) => l.source === 'stable_forced' && l.errcode === 0)).toBe(true);
  });

  it('an expiry under load: one fetch per expiry, no send fails for a stale token', async () => {
    h = await startHarness({ tokenTtlS: 0.8 });
    const keepers = [h.keeper([app(APPID, 'sec')], { refreshAheadS: 0 }), h.keeper([app(APPID, 'sec')], { refreshAheadS: 0 })];
    const clients = keepers.map((k) => createWeChatClient({ tokenKeeper: k, logger: h.logs.logger }, { apiBase: h.url }));
    const failures: unknown[] = [];
    let ok = 0;
    const until = Date.now() + 2600;
    await Promise.all(
      clients.flatMap((c) =>
        Array.from({ length: 10 }, async (_, i) => {
          while (Date.now() < until) {
            await c.sendCustom(APPID, { touser: `oLoad${i}`, msgtype: 'text', text: { content: 'x' } }).then(
              () => ok++,
              (e: unknown) => failures.push(e),
            );
          }
        }),
      ),
    );
    expect(failures).toEqual([]);
    expect(ok).toBeGreaterThan(20);
    const f = fetches();
    // Every fetch brought a new token: nobody fetched for an expiry someone else had handled.
    expect(f.total).toBe(f.issued);
    expect(f.total).toBeGreaterThanOrEqual(3);
    expect(f.total).toBeLessThanOrEqual(5);
  });
});

describe('token keeper: refresh ahead', () => {
  it('plans the refresh inside the stable API\'s 5-minute renewal window, and refresh-ahead early for classic', async () => {
    h = await startHarness({ tokenTtlS: 7200 });
    const stable = h.keeper([app(APPID, 'sec')], { refreshAheadS: 600 });
    await stable.get(APPID);
    const s = (await stable.stats(APPID)).token!;
    expect(s.expiresAt - s.refreshAt).toBe(290_000); // asking 600 s ahead would only return the same token
    const other = 'wxkeeper000002';
    const classic = h.keeper([app(other, 'sec', 'classic')], { refreshAheadS: 600 });
    await classic.get(other);
    const c = (await classic.stats(other)).token!;
    expect(c.expiresAt - c.refreshAt).toBe(600_000);
  });

  it('refreshes before expiry under the lock while callers keep the current token (classic)', async () => {
    h = await startHarness({ tokenTtlS: 1.6, graceS: 1 });
    const opts = { refreshAheadS: 0.8, refreshTickMs: 50, memoryTtlMs: 200 };
    const [a, b] = [h.keeper([app(APPID, 'sec', 'classic')], opts), h.keeper([app(APPID, 'sec', 'classic')], opts)];
    await Promise.all([a.start(), b.start()]);
    const seen = new Set<string>();
    const end = Date.now() + 2600;
    while (Date.now() < end) {
      for (const k of [a, b]) {
        const t = await k.get(APPID);
        expect(['valid', 'grace']).toContain(h.mock.state.tokenStatus(t.token));
        seen.add(t.token);
      }
      await sleep(20);
    }
    // ~0.8 s per token: 3–4 tokens in 2.6 s, one fetch each, shared by both keepers.
    expect(seen.size).toBeGreaterThanOrEqual(3);
    expect(fetches().total).toBe(fetches().issued);
    expect(fetches().total).toBeLessThanOrEqual(5);
    expect(tokenLines().filter((l) => l.reason === 'ahead').length).toBeGreaterThanOrEqual(2);
  });

  it('stable API: a refresh-ahead that gets the same token back asks again later, not in a loop', async () => {
    h = await startHarness({ tokenTtlS: 3, renewWindowS: 0.8 });
    const k = h.keeper([app(APPID, 'sec')], { refreshAheadS: 2, refreshTickMs: 50 });
    await k.start();
    const first = (await k.get(APPID)).token;
    await until(async () => (await k.get(APPID)).token !== first, 5000, 'the renewed token');
    expect(h.mock.state.tokenStatus(first)).toBe('valid');
    // 1.5 s to the first refresh-ahead, then a fifth of the remaining time: a handful of calls.
    expect(fetches().total).toBeGreaterThanOrEqual(3);
    expect(fetches().total).toBeLessThanOrEqual(10);
    expect(tokenLines().some((l) => l.msg === 'access_token fetched: unchanged')).toBe(true);
  });
});

describe('token keeper: locks', () => {
  it('a lock left by a dead holder frees itself by expiry; a waiter then fetches', async () => {
    h = await startHarness();
    await h.redis().set(`${h.prefix}:token:${APPID}:lock`, 'dead-process', 'PX', 600);
    const k = h.keeper([app(APPID, 'sec')], { lockTtlMs: 1000, waitTimeoutMs: 10_000 });
    const t0 = Date.now();
    const t = await k.get(APPID);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(500);
    expect(h.mock.state.tokenStatus(t.token)).toBe('valid');
    expect(fetches().total).toBe(1);
  });

  it('a waiter gives up after waitTimeoutMs with a retryable error', async () => {
    h = await startHarness();
    await h.redis().set(`${h.prefix}:token:${APPID}:lock`, 'busy-process', 'PX', 60_000);
    const k = h.keeper([app(APPID, 'sec')], { waitTimeoutMs: 300 });
    const err = await k.get(APPID).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TransientApiError);
    expect(err).toMatchObject({ code: 'token_wait_timeout', retryable: true });
    expect(fetches().total).toBe(0);
  });

  it('a process without the appsecret uses the shared token and never fetches', async () => {
    h = await startHarness();
    const withSecret = h.keeper([app(APPID, 'sec')]);
    const without = h.keeper([app(APPID, undefined)], { waitTimeoutMs: 300 });
    await expect(without.get(APPID)).rejects.toMatchObject({ code: 'token_no_appsecret' });
    const t = await withSecret.get(APPID);
    expect((await without.get(APPID)).token).toBe(t.token);
    expect(fetches().total).toBe(1);
  });

  it('unknown appid: unknown_app (404)', async () => {
    h = await startHarness();
    const k = h.keeper([app(APPID, 'sec')]);
    await expect(k.get('wxnobody')).rejects.toMatchObject({ code: 'unknown_app', status: 404 });
    expect(k.has(APPID)).toBe(true);
    expect(k.appids()).toEqual([APPID]);
  });
});

describe('token keeper: fetch failures', () => {
  async function hammer(k: TokenKeeper, ms: number): Promise<unknown[]> {
    const errors: unknown[] = [];
    const end = Date.now() + ms;
    await Promise.all(
      Array.from({ length: 10 }, async () => {
        while (Date.now() < end) {
          await k.get(APPID).catch((e: unknown) => errors.push(e));
          await sleep(5);
        }
      }),
    );
    return errors;
  }

  it('bad appsecret (40125): a clear error naming WECHAT_APPSECRET at start, backoff, no tight loop', async () => {
    h = await startHarness({ appsecrets: { [APPID]: 'the-right-secret' } });
    const opts = { backoffBaseMs: 200, backoffMaxMs: 2000 };
    const [a, b] = [h.keeper([app(APPID, 'the-wrong-secret')], opts), h.keeper([app(APPID, 'the-wrong-secret')], opts)];
    await a.start();
    const startLine = h.logs.lines.find((l) => l.msg?.toString().startsWith('access_token unavailable at start'));
    expect(startLine).toMatchObject({ level: 50, layer: 'token', appid: APPID, errcode: 40125 });
    expect(String(startLine!.msg)).toContain('WECHAT_APPSECRET');
    const errors = await Promise.all([hammer(a, 1500), hammer(b, 1500)]);
    expect(errors.flat().length).toBeGreaterThan(100);
    expect(errors.flat().every((e) => e instanceof WeChatApiError && e.code === 'wechat_40125')).toBe(true);
    // 200, 400, 800 ms… between attempts, shared by both processes: a handful, not hundreds.
    expect(fetches().total).toBeGreaterThanOrEqual(2);
    expect(fetches().total).toBeLessThanOrEqual(7);
    const failLine = tokenLines().find((l) => l.msg?.toString().startsWith('access_token fetch failed'));
    expect(failLine).toMatchObject({ level: 50, appid: APPID, errcode: 40125, source: 'stable' });
    expect(typeof failLine!.ms).toBe('number');
    expect(h.logs.raw.join('')).not.toContain('the-wrong-secret');
    // The backoff key lives only until the next attempt: while that attempt's fetch is in flight
    // there is none, so wait for it to be recorded again rather than read it at one instant.
    await vi.waitFor(async () => expect((await a.stats(APPID)).backoff).toMatchObject({ code: 'wechat_40125' }), { timeout: 5000, interval: 50 });
  });

  it('quota refused (45009): an error line, and the longest backoff', async () => {
    h = await startHarness();
    h.mock.state.faults.add({ path: 'stable_token', errcode: 45009 });
    const k = h.keeper([app(APPID, 'sec')], { backoffBaseMs: 50, backoffMaxMs: 5000 });
    await expect(k.get(APPID)).rejects.toMatchObject({ code: 'wechat_45009', kind: 'quota' });
    const line = tokenLines().find((l) => l.errcode === 45009);
    expect(line).toMatchObject({ level: 50, appid: APPID, source: 'stable' });
    expect(String(line!.msg)).toMatch(/quota/);
    expect(Number(line!.retryInMs)).toBeGreaterThan(4000);
    await hammer(k, 500);
    expect(fetches().total).toBe(1);
  });

  it('system busy (-1): warned, retried after backoff, then served', async () => {
    h = await startHarness();
    h.mock.state.faults.add({ path: 'stable_token', errcode: -1, count: 2 });
    const k = h.keeper([app(APPID, 'sec')], { backoffBaseMs: 100, backoffMaxMs: 1000, refreshTickMs: 30 });
    await k.start();
    await until(async () => (await k.stats(APPID)).token !== null, 5000, 'a token after the busy answers');
    expect(fetches()).toMatchObject({ total: 3, failed: 2, issued: 1 });
    const busy = tokenLines().filter((l) => l.errcode === -1 && String(l.msg).startsWith('access_token fetch failed'));
    expect(busy).toHaveLength(2);
    expect(busy[0]).toMatchObject({ level: 40, appid: APPID, failures: 1 });
    expect(busy[1]).toMatchObject({ failures: 2 });
    expect((await k.stats(APPID)).backoff).toBeNull();
  });

  it('counts fetches per Beijing day and warns once at 80% of the daily quota', async () => {
    h = await startHarness();
    const k = h.keeper([app(APPID, 'sec', 'classic')], { dailyQuota: 5, quotaWarnRatio: 0.8 });
    for (let i = 0; i < 5; i++) await k.refresh(APPID);
    const stats = await k.stats(APPID);
    expect(stats).toMatchObject({ fetchesToday: 5, dailyQuota: 5, quotaWarnAt: 4, token: { source: 'classic' } });
    const warnings = tokenLines().filter((l) => l.level === 40 && String(l.msg).includes('daily quota'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ appid: APPID, fetchesToday: 4, dailyQuota: 5 });
    const ttl = await h.redis().ttl(`${h.prefix}:token:${APPID}:fetches:${new Date(Date.now() + 8 * 3600_000).toISOString().slice(0, 10).replace(/-/g, '')}`);
    expect(ttl).toBeGreaterThan(86400);
  });

  it('never logs a token or the appsecret; logs fingerprints', async () => {
    h = await startHarness();
    const k = h.keeper([app(APPID, 'top-secret-value')]);
    await k.start();
    const t = await k.get(APPID);
    const t2 = await k.invalidate(APPID, t.token);
    await k.refresh(APPID, { force: false });
    const raw = h.logs.raw.join('');
    for (const secret of [t.token, t2.token, 'top-secret-value']) expect(raw).not.toContain(secret);
    expect(tokenLines().some((l) => l.fp === fingerprint(t.token))).toBe(true);
    expect(tokenLines().find((l) => l.msg === 'access_token fetched')).toMatchObject({ layer: 'token', appid: APPID, source: 'stable', errcode: 0 });
  });
});
