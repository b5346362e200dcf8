// The keeper across real processes: child processes (test/fixtures/token/keeper-child.ts), each
// with its own keeper and Redis connection, against the mock WeChat API and real Redis.
import { afterEach, describe, expect, it } from 'vitest';
import { fingerprint } from '../../src/fingerprint.js';
import { app, sleep, spawnKeeperChild, startHarness, until, type KeeperChild, type TokenHarness } from '../fixtures/token/harness.js';
import type { ChildConfig } from '../fixtures/token/keeper-child.js';

const APPID = 'wxprocess00001';
let h: TokenHarness;
const children: KeeperChild[] = [];

afterEach(async () => {
  for (const c of children.splice(0)) c.kill('SIGKILL');
  await h?.close();
});

function child(cfg: Partial<ChildConfig> & Pick<ChildConfig, 'action' | 'n'>): KeeperChild {
  const c = spawnKeeperChild({ apiBase: h.url, prefix: h.prefix, apps: [app(APPID, 'sec')], appid: APPID, ...cfg });
  children.push(c);
  return c;
}

/** Starts both children at the same moment (after both are ready) and waits for their results. */
async function runTogether(a: KeeperChild, b: KeeperChild) {
  await Promise.all([a.ready, b.ready]);
  a.go();
  b.go();
  return Promise.all([a.result, b.result]);
}

type Got = { fp: string; expiresAt: number };
type Tally = { ok: number; failed: Record<string, number> };

describe('token keeper across processes', () => {
  it('two processes × fifty concurrent get() at start: one fetch, one token', { timeout: 60_000 }, async () => {
    h = await startHarness({}, 'proc');
    const [a, b] = await runTogether(child({ action: 'get', n: 50 }), child({ action: 'get', n: 50 }));
    const fps = new Set([...a.results, ...b.results].map((r) => (r as Got).fp));
    expect(fps).toEqual(new Set([fingerprint(h.mock.state.currentToken(APPID)!)]));
    expect(h.mock.state.stats().tokenFetches.total).toBe(1);
  });

  it('two processes × fifty invalidations of the same stale token: one fetch', { timeout: 60_000 }, async () => {
    h = await startHarness({}, 'proc');
    const first = h.keeper([app(APPID, 'sec', 'classic')]);
    const stale = (await first.get(APPID)).token;
    const cfg = { action: 'invalidate' as const, n: 50, staleToken: stale, apps: [app(APPID, 'sec', 'classic')] };
    const [a, b] = await runTogether(child(cfg), child(cfg));
    const fps = new Set([...a.results, ...b.results].map((r) => (r as Got).fp));
    expect(fps.size).toBe(1);
    expect(fps.has(fingerprint(stale))).toBe(false);
    expect(fps.has(fingerprint(h.mock.state.currentToken(APPID, 'classic')!))).toBe(true);
    expect(h.mock.state.stats().tokenFetches.total).toBe(2);
  });

  it('an expiry under load: exactly one fetch, no send lost to a stale token', { timeout: 150_000 }, async () => {
    h = await startHarness({}, 'proc');
    const cfg = { action: 'send' as const, n: 20, durationMs: 60_000 };
    const a = child(cfg);
    const b = child(cfg);
    const done = runTogether(a, b);
    // Generous bounds: the whole suite runs in parallel on 2 shared cores.
    await until(() => h.mock.state.stats().sends.total > 50, 60_000, 'sends under way');
    expect(h.mock.state.expire(APPID)).toBe(1);
    const sendsAtExpiry = h.mock.state.stats().sends.total;
    await until(() => h.mock.state.stats().sends.total > sendsAtExpiry + 50, 60_000, 'sends after the expiry');
    a.stop();
    b.stop();
    const [ra, rb] = await done;
    const tallies = [...ra.results, ...rb.results] as Tally[];
    expect(tallies.flatMap((t) => Object.keys(t.failed))).toEqual([]);
    expect(h.mock.state.stats().tokenFetches).toMatchObject({ total: 2, issued: 2 });
  });

  it('no caller ever uses a token the mock invalidated past its grace period (classic refreshes under load)', { timeout: 90_000 }, async () => {
    h = await startHarness({ graceS: 0.6 }, 'proc');
    const apps = [app(APPID, 'sec', 'classic')];
    const cfg = { action: 'send' as const, n: 10, durationMs: 60_000, apps, keeper: { memoryTtlMs: 200 } };
    const a = child(cfg);
    const b = child(cfg);
    const done = runTogether(a, b);
    await until(() => h.mock.state.stats().sends.total > 100, 30_000, 'sends under way');
    const operator = h.keeper(apps, { memoryTtlMs: 200 });
    for (let i = 0; i < 4; i++) {
      await operator.refresh(APPID);
      const before = h.mock.state.stats().sends.total;
      // Keep refreshing only while the children are really sending with the new token.
      await until(() => h.mock.state.stats().sends.total > before + 50, 30_000, 'sends after a refresh');
      await sleep(300);
    }
    a.stop();
    b.stop();
    const [ra, rb] = await done;
    const tallies = [...ra.results, ...rb.results] as Tally[];
    expect(tallies.flatMap((t) => Object.keys(t.failed))).toEqual([]);
    const stats = h.mock.state.stats();
    expect(stats.tokenFetches.total).toBe(5);
    // Not once did WeChat see a token past its grace period.
    expect(stats.sends.byErrcode['40001']).toBeUndefined();
  });

  it('the lock holder killed mid-fetch: another process fetches after the lock expires, no deadlock', { timeout: 60_000 }, async () => {
    h = await startHarness({}, 'proc');
    h.mock.state.faults.add({ path: 'stable_token', latencyMs: 5000, count: 1 });
    const keeper = { lockTtlMs: 1500, waitTimeoutMs: 15_000, fetchTimeoutMs: 10_000 };
    const holder = child({ action: 'get', n: 1, keeper });
    const waiter = child({ action: 'get', n: 5, keeper });
    await Promise.all([holder.ready, waiter.ready]);
    holder.go();
    await until(() => h.mock.state.stats().tokenFetches.total === 1, 30_000, 'the holder\'s fetch');
    expect(await h.redis().exists(`${h.prefix}:token:${APPID}:lock`)).toBe(1);
    waiter.go();
    await sleep(200);
    holder.kill('SIGKILL');
    expect(await holder.exited).toBeNull();
    const t0 = Date.now();
    const { results } = await waiter.result;
    expect(Date.now() - t0).toBeLessThan(10_000);
    const current = fingerprint(h.mock.state.currentToken(APPID)!);
    expect(results).toEqual(Array.from({ length: 5 }, () => expect.objectContaining({ fp: current })));
    expect(h.mock.state.stats().tokenFetches.total).toBe(2);
  });
});
