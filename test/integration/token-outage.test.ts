// A token outage does not fail replies (issue 14, item 3): while the access_token cannot be had
// (the fetch answered 40164, 40125, 45009 or -1, or did not answer), the account's replies wait as
// delayed jobs without spending attempts, and all go out once the token is back; one log line per
// change of the token's state, a gauge and a counter, and /readyz says so. Past the user's window
// a waiting reply fails with its own code. Against the mock WeChat API with injected faults.
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { createInterface } from 'node:readline';
import { afterEach, describe, expect, it } from 'vitest';
import type { Fault } from '../../src/dev/mock-wechat/index.js';
import { createMetrics, type Metrics } from '../../src/metrics.js';
import { TEST_APP } from '../helpers/receiver.js';
import { inboundId, newOpenid, settled, startHarness, text, waitFor, type Harness } from '../fixtures/worker/harness.js';

const APPID = TEST_APP.appid;
// Short waits and keeper backoff, so that an outage of two failed fetches lasts about a second.
const FAST = { tokenWaitBaseMs: 100, tokenWaitMaxMs: 400, keeper: { backoffBaseMs: 100, backoffMaxMs: 400 } };

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const stateLines = (hh: Harness) => hh.t.logs.lines.filter((l) => l.layer === 'token' && (l.state === 'unavailable' || l.state === 'available'));

/** Pushes one text from each of `n` new users; resolves with their openids and reply job ids. */
async function pushReplies(hh: Harness, n: number) {
  const users = Array.from({ length: n }, () => newOpenid());
  const jobs: string[] = [];
  for (const openid of users) {
    const msg = text(openid, 'hello');
    expect((await hh.push(msg)).text).toBe('success');
    jobs.push(`${inboundId(msg.MsgId as string)}_r0`);
  }
  return { users, jobs };
}

async function metricValue(metrics: Metrics, name: string): Promise<number | undefined> {
  const m = (await metrics.registry.getMetricsAsJSON()).find((x) => x.name === name);
  return m?.values.find((v) => v.labels.appid === APPID)?.value;
}

describe('a token outage: the replies wait and are all delivered', () => {
  it.each<[string, Omit<Fault, 'path' | 'count'>, string]>([
    ['40164 (IP not whitelisted)', { errcode: 40164, errmsg: 'invalid ip, not in whitelist' }, 'wechat_40164'],
    ['40125 (bad appsecret)', { errcode: 40125, errmsg: 'invalid appsecret' }, 'wechat_40125'],
    ['45009 (daily token quota)', { errcode: 45009, errmsg: 'reach max api daily quota limit' }, 'wechat_45009'],
    ['-1 (system busy)', { errcode: -1, errmsg: 'system error' }, 'wechat_-1'],
    ['a dropped connection', { drop: true }, 'wechat_network'],
    ['HTTP 503', { status: 503 }, 'wechat_http_5xx'],
  ])('token fetch fails twice with %s: none failed, no attempt spent, one line per state change', { timeout: 60_000 }, async (_name, fault, reason) => {
    const metrics = createMetrics({ processMetrics: false });
    h = await startHarness({ workers: false });
    await h.startWorkers(FAST, { metrics });
    // The token every worker holds is now refused (40001): the next send needs a new one, and
    // the next two fetches of it fail.
    h.mock.state.expire(APPID);
    h.mock.state.faults.add({ path: 'stable_token', count: 2, ...fault });
    const { users, jobs } = await pushReplies(h, 10);

    const finished = await Promise.all(jobs.map((id) => settled(h!.outbound, id, 'a reply')));
    for (const job of finished) {
      expect(await job.getState()).toBe('completed');
      expect(job.attemptsMade).toBe(1); // the one that sent: the waits were not attempts
    }
    expect(finished.some((j) => (j.data as { tokenWaits?: number }).tokenWaits! >= 1)).toBe(true);
    for (const openid of users) expect(h.sentTo(openid)).toHaveLength(1);
    expect(await h.outbound.getFailedCount()).toBe(0);
    expect(h.mock.state.stats().tokenFetches.failed).toBe(2);

    // One line when the token went, one when it came back; not one per reply.
    const changes = stateLines(h);
    expect(changes.map((l) => [l.state, l.level])).toEqual([
      ['unavailable', 50],
      ['available', 40],
    ]);
    expect(changes[0]).toMatchObject({ appid: APPID, code: reason, ...(fault.errcode !== undefined ? { errcode: fault.errcode } : {}) });
    expect(h.t.logs.lines.filter((l) => l.layer === 'send' && Number(l.level) >= 50)).toHaveLength(0);
    expect(h.t.logs.lines.filter((l) => l.layer === 'send' && l.outcome === 'waiting').length).toBeGreaterThanOrEqual(1);

    expect(await metricValue(metrics, 'wxgate_token_available')).toBe(1);
    expect(await metricValue(metrics, 'wxgate_token_waits_total')).toBeGreaterThanOrEqual(1);
    expect(h.runtime!.availability.view(APPID)).toMatchObject({ state: 'available' });
  });

  it('40164 says what to do: add the server\'s IP to the whitelist', { timeout: 60_000 }, async () => {
    h = await startHarness({ workers: false });
    await h.startWorkers(FAST);
    h.mock.state.expire(APPID);
    h.mock.state.faults.add({ path: 'stable_token', errcode: 40164, count: 1 });
    const { jobs } = await pushReplies(h, 1);
    await settled(h.outbound, jobs[0]!);
    const down = stateLines(h).find((l) => l.state === 'unavailable');
    expect(String(down!.msg)).toContain('IP白名单');
  });
});

describe('a token outage and a message with several replies', () => {
  it('the replies wait behind the first and go out once each, in order', { timeout: 60_000 }, async () => {
    h = await startHarness({ workers: false });
    await h.startWorkers(FAST);
    h.mock.state.expire(APPID);
    h.mock.state.faults.add({ path: 'stable_token', errcode: 40164, count: 3 });
    const openid = newOpenid();
    const msg = text(openid, 'many:3');
    expect((await h.push(msg)).text).toBe('success');
    const id = inboundId(msg.MsgId as string);
    for (const i of [0, 1, 2]) expect(await (await settled(h.outbound, `${id}_r${i}`)).getState()).toBe('completed');
    expect(h.sentTo(openid).map((s) => s.content)).toEqual(['part 1', 'part 2', 'part 3']);
  });
});

describe('a token outage longer than the reply window', () => {
  it('the waiting reply fails with token_unavailable_window_closed, keeping the errcode', { timeout: 60_000 }, async () => {
    h = await startHarness({ workers: false, env: { WXGATE_QUOTA_MESSAGE_WINDOW_S: '2' } });
    await h.startWorkers(FAST);
    h.mock.state.expire(APPID);
    h.mock.state.faults.add({ path: 'stable_token', errcode: 40164 }); // for good
    const { users, jobs } = await pushReplies(h, 1);
    const job = await settled(h.outbound, jobs[0]!, 'the reply');
    expect(await job.getState()).toBe('failed');
    expect(job.data.lastError).toMatchObject({ code: 'token_unavailable_window_closed', errcode: 40164, retryable: false });
    expect(job.attemptsMade).toBe(1);
    expect(h.sentTo(users[0]!)).toHaveLength(0);
    expect(h.t.logs.lines.find((l) => l.layer === 'send' && l.outcome === 'failed')).toMatchObject({ level: 50, code: 'wechat_40164', errcode: 40164 });
  });
});

async function freePort(): Promise<number> {
  const s = createServer().listen(0, '127.0.0.1');
  await new Promise((r) => s.once('listening', r));
  const { port } = s.address() as { port: number };
  await new Promise((r) => s.close(r));
  return port;
}

describe('wxgate worker during a token outage', () => {
  it('/readyz and /metrics say the token is unavailable, and available again once it is back', { timeout: 90_000 }, async () => {
    h = await startHarness({ workers: false });
    h.mock.state.faults.add({ path: 'stable_token', errcode: 40164, errmsg: 'invalid ip 203.0.113.9, not in whitelist' });
    const port = await freePort();
    const proc = spawn(process.execPath, ['bin/wxgate.js', 'worker'], { env: { ...process.env, ...h.childEnv, HOST: '127.0.0.1', WXGATE_METRICS_PORT: String(port) }, stdio: ['ignore', 'pipe', 'inherit'] });
    const lines: Record<string, unknown>[] = [];
    createInterface({ input: proc.stdout! }).on('line', (l) => lines.push(JSON.parse(l) as Record<string, unknown>));
    const exited = new Promise<number | null>((resolve) => proc.once('exit', resolve));
    const readyz = async () => (await (await fetch(`http://127.0.0.1:${port}/readyz`)).json()) as { redis: string; tokens: Record<string, Record<string, unknown>> };
    const metrics = async () => (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    try {
      await waitFor(() => lines.find((l) => l.msg === 'workers running'), 'wxgate worker to start', 25_000);
      await waitFor(() => fetch(`http://127.0.0.1:${port}/healthz`).then((r) => r.ok, () => false), 'the metrics port');
      const down = await readyz();
      expect(down.redis).toBe('up');
      expect(down.tokens[APPID]).toMatchObject({ state: 'unavailable', errcode: 40164, reason: 'wechat_40164' });
      expect(String(down.tokens[APPID]!.hint)).toContain('IP白名单');
      expect(await metrics()).toContain(`wxgate_token_available{appid="${APPID}"} 0`);

      const { users, jobs } = await pushReplies(h, 1);
      await waitFor(async () => /wxgate_token_waits_total\{appid="[^"]+"\} [1-9]/.test(await metrics()), 'a send waiting for the token');
      expect(await h.outbound.getJobState(jobs[0]!)).toBe('delayed');

      h.mock.state.faults.clear(); // the IP is whitelisted now
      const job = await settled(h.outbound, jobs[0]!, 'the reply', 60_000);
      expect(await job.getState()).toBe('completed');
      expect(h.sentTo(users[0]!)).toHaveLength(1);
      expect((await readyz()).tokens[APPID]).toMatchObject({ state: 'available' });
      expect(await metrics()).toContain(`wxgate_token_available{appid="${APPID}"} 1`);
      const changes = () => lines.filter((l) => l.layer === 'token' && (l.state === 'unavailable' || l.state === 'available'));
      await waitFor(() => changes().length >= 2, 'the line saying the token is back (the child writes its log in chunks)');
      expect(changes().map((l) => l.state)).toEqual(['unavailable', 'available']);
    } finally {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
      await exited;
    }
  });
});
