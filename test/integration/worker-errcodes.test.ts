// Every outcome of a send, by errcode, against the mock WeChat API with injected faults:
// 0 sent; 40001/40014/42001 the token is replaced and the call made again at once; -1, 45009,
// network errors and 5xx retried with backoff; 45015, 45047, 40003 failed at once and kept with
// their errcode. And the handler's own failures: retried, or not when it says so.
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Fault } from '../../src/dev/mock-wechat/index.js';
import { createDlq } from '../../src/worker/dlq.js';
import { TEST_APP } from '../helpers/receiver.js';
import { inboundId, newOpenid, settled, startHarness, text, type Harness } from '../fixtures/worker/harness.js';
import { keysOf } from '../../src/redis-keys.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.close();
});

/** Pushes a text from a new user with `fault` on that user's sends; resolves with the settled reply job. */
async function sendWith(fault: Omit<Fault, 'openid'> | undefined, content = 'hi') {
  const openid = newOpenid();
  if (fault) h.mock.state.faults.add({ path: 'send', openid, ...fault });
  const msg = text(openid, content);
  expect((await h.push(msg)).text).toBe('success');
  const id = inboundId(msg.MsgId as string);
  const job = await settled(h.outbound, `${id}_r0`, 'the reply');
  return { openid, id, job, state: await job.getState(), sent: h.sentTo(openid) };
}

const sendLines = (openid: string) => h.t.logs.lines.filter((l) => l.layer === 'send' && l.openid === openid);

describe('send outcomes by errcode', () => {
  it('0: sent on the first attempt', async () => {
    const r = await sendWith(undefined);
    expect(r.state).toBe('completed');
    expect(r.sent).toHaveLength(1);
    expect(sendLines(r.openid).find((l) => l.outcome === 'sent')).toMatchObject({ attempt: 1, errcode: 0 });
  });

  it('a token WeChat no longer accepts (40001): replaced by one refresh, the same attempt succeeds', async () => {
    const before = h.mock.state.stats().tokenFetches.issued;
    h.mock.state.expire(TEST_APP.appid); // the token every worker holds is now refused
    const r = await sendWith(undefined);
    expect(r.state).toBe('completed');
    expect(r.sent).toHaveLength(1);
    // One job attempt; inside it, the client's two calls: refused as stale, then accepted.
    expect(sendLines(r.openid).filter((l) => l.outcome === 'sent')).toMatchObject([{ attempt: 1 }]);
    const calls = sendLines(r.openid).filter((l) => l.path === '/cgi-bin/message/custom/send');
    expect(calls.map((l) => l.errcode)).toEqual([40001, 0]);
    expect(h.mock.state.stats().tokenFetches.issued).toBe(before + 1);
  });

  it.each([40001, 40014, 42001])('%i (injected): the token is invalidated and the reply still goes out once', async (errcode) => {
    const r = await sendWith({ errcode, count: 1 });
    expect(r.state).toBe('completed');
    expect(r.sent).toHaveLength(1);
    const calls = sendLines(r.openid).filter((l) => l.path === '/cgi-bin/message/custom/send');
    expect(calls[0]).toMatchObject({ errcode });
    expect(calls.at(-1)).toMatchObject({ errcode: 0 });
    expect(sendLines(r.openid).filter((l) => l.outcome === 'sent')).toHaveLength(1);
  });

  it.each<[string, Omit<Fault, 'openid'>, Record<string, unknown>]>([
    ['-1 (system busy)', { errcode: -1, count: 2 }, { errcode: -1 }],
    ['45009 (API frequency limit)', { errcode: 45009, count: 1 }, { errcode: 45009 }],
    ['a dropped connection', { drop: true, count: 1 }, { code: 'wechat_network' }],
    ['HTTP 502', { status: 502, count: 2 }, { code: 'wechat_http_5xx' }],
  ])('%s: retried with backoff, then sent once', async (_name, fault, failure) => {
    const r = await sendWith(fault);
    expect(r.state).toBe('completed');
    expect(r.sent).toHaveLength(1);
    const retries = sendLines(r.openid).filter((l) => l.outcome === 'retrying');
    expect(retries.length).toBe(fault.count);
    expect(retries[0]).toMatchObject({ attempt: 1, ...failure });
    expect(sendLines(r.openid).find((l) => l.outcome === 'sent')).toMatchObject({ attempt: fault.count! + 1 });
  });

  it.each([
    [45015, 'wechat_45015'],
    [45047, 'wechat_45047'],
    [40003, 'wechat_40003'],
    [48001, 'wechat_48001'],
  ])('%i: failed at once, kept in the failed set with its errcode and errmsg', async (errcode, code) => {
    const r = await sendWith({ errcode, errmsg: `mock ${errcode}` });
    expect(r.state).toBe('failed');
    expect(r.sent).toHaveLength(0);
    expect(r.job.attemptsMade).toBe(1);
    expect(r.job.data.lastError).toMatchObject({ code, errcode, retryable: false, attempt: 1 });
    expect(r.job.data.lastError?.errmsg).toContain(`mock ${errcode}`);
    expect(r.job.failedReason).toContain(code);
    expect(sendLines(r.openid).find((l) => l.outcome === 'failed')).toMatchObject({ errcode, attempt: 1 });
    const failed = await h.outbound.getFailed();
    expect(failed.map((j) => j.id)).toContain(r.job.id);
  });
});

describe('wxgate dlq', () => {
  it('lists a 45015 with its errcode, shows it, and retries it (this time it goes out)', async () => {
    const r = await sendWith({ errcode: 45015, count: 1 });
    expect(r.state).toBe('failed');
    const dlq = createDlq({ redis: h.runtime!.workers.redis }, { keys: keysOf(h.t.config), apps: h.t.config.apps });
    try {
      const listed = await dlq.list('outbound', { limit: 1000 });
      expect(listed.find((j) => j.id === r.job.id)).toMatchObject({ queue: 'outbound', errcode: 45015, code: 'wechat_45015', openid: r.openid });
      expect(await dlq.show('inbound', r.job.id!)).toBeUndefined();

      // The command line, as an operator runs it.
      const cli = spawnSync(process.execPath, ['bin/wxgate.js', 'dlq', 'list', '--queue', 'outbound', '--json'], { env: { ...process.env, ...h.childEnv }, encoding: 'utf8' });
      expect(cli.status).toBe(0);
      const rows = cli.stdout.trim().split('\n').map((l) => JSON.parse(l) as { id: string; errcode?: number });
      expect(rows.find((row) => row.id === r.job.id)).toMatchObject({ errcode: 45015 });

      expect(await dlq.retry('outbound', [r.job.id!])).toEqual([r.job.id]);
      const again = await settled(h.outbound, r.job.id!);
      expect(await again.getState()).toBe('completed');
      expect(h.sentTo(r.openid)).toHaveLength(1);
    } finally {
      await dlq.close();
    }
  });
});

describe('handler failures', () => {
  it('an error is retried with backoff; the reply is sent once, by the run that succeeded', async () => {
    const openid = newOpenid();
    const msg = text(openid, 'fail:1');
    await h.push(msg);
    const id = inboundId(msg.MsgId as string);
    const job = await settled(h.inbound, id);
    expect(await job.getState()).toBe('completed');
    expect(job.attemptsMade).toBe(2);
    await settled(h.outbound, `${id}_r0`);
    expect(h.sentTo(openid).map((s) => s.content)).toEqual(['recovered']);
    const lines = h.t.logs.lines.filter((l) => l.layer === 'worker' && l.dedupKey === id);
    expect(lines.map((l) => l.outcome)).toEqual(['retrying', 'handled']);
  });

  it('UnrecoverableError: failed at once, kept with its code, nothing sent', async () => {
    const openid = newOpenid();
    const msg = text(openid, 'fatal');
    await h.push(msg);
    const id = inboundId(msg.MsgId as string);
    const job = await settled(h.inbound, id);
    expect(await job.getState()).toBe('failed');
    expect(job.attemptsMade).toBe(1);
    expect((job.data as { lastError?: unknown }).lastError).toMatchObject({ code: 'handler_unrecoverable', retryable: false });
    expect(h.sentTo(openid)).toHaveLength(0);
    expect(h.t.logs.lines.find((l) => l.layer === 'worker' && l.dedupKey === id)).toMatchObject({ outcome: 'failed', code: 'handler_unrecoverable' });
  });
});

describe('per-job time limit', () => {
  let slow: Harness;
  beforeAll(async () => {
    slow = await startHarness({ env: { WXGATE_JOB_TIMEOUT_MS: '300', WXGATE_JOB_ATTEMPTS: '1' } });
  });
  afterAll(async () => {
    await slow?.close();
  });

  it('a handler past its limit is aborted (its signal fires) and the job fails with handler_timeout', async () => {
    const openid = newOpenid();
    const msg = text(openid, 'slow:5000');
    await slow.push(msg);
    const job = await settled(slow.inbound, inboundId(msg.MsgId as string));
    expect(await job.getState()).toBe('failed');
    expect((job.data as { lastError?: unknown }).lastError).toMatchObject({ code: 'handler_timeout' });
    expect(slow.sentTo(openid)).toHaveLength(0);
  });
});
