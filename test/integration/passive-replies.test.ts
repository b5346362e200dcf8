// Reply modes passive and auto (issue 17), with the real receiver, real workers on real Redis and
// the mock WeChat API: the handler's first reply comes back in the answer to the push, in plaintext
// and in safe mode (checked with wechat-crypto, an independent implementation); late replies go
// through customer service in auto and are dropped with a line in passive; the retry mode; a
// spooled push; several accounts in different modes.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WXBizMsgCrypt } from '../helpers/wechat-crypto.js';
import { Redis } from 'ioredis';
import { buildPush, type PushMode } from '../../src/dev/pushes.js';
import { parseXml, type XmlRecord } from '../../src/wechat/xml.js';
import { attachWorkerMetrics } from '../../src/worker/worker-metrics.js';
import { inboundId, newOpenid, settled, startHarness, text, waitFor, type Harness } from '../fixtures/worker/harness.js';
import { longText } from '../fixtures/worker/handlers.js';
import { TEST_APP } from '../helpers/receiver.js';
import { ownRedis, type OwnRedis } from '../helpers/redis-server.js';


/** Reads a passive answer as WeChat would: an encrypted one is signature-checked and decrypted with wechat-crypto. */
function readAnswer(body: string, account: { appid: string; token: string; encodingAESKey: string } = TEST_APP): XmlRecord {
  const outer = parseXml(body);
  if (outer.Encrypt === undefined) return outer;
  const theirs = new WXBizMsgCrypt(account.token, account.encodingAESKey, account.appid);
  expect(theirs.getSignature(outer.TimeStamp as string, outer.Nonce as string, outer.Encrypt as string)).toBe(outer.MsgSignature);
  const { message, id } = theirs.decrypt(outer.Encrypt as string);
  expect(id).toBe(account.appid);
  return parseXml(message);
}

const receiveLine = (h: Harness, dedupKey: string) => waitFor(() => h.t.logs.lines.find((l) => l.layer === 'receive' && l.dedupKey === dedupKey), 'the receive line');
const workerLine = (h: Harness, dedupKey: string) => waitFor(() => h.t.logs.lines.find((l) => l.layer === 'worker' && l.dedupKey === dedupKey && l.outcome === 'handled'), 'the worker line');

/** One delivery as WeChat makes it, given up after `timeoutMs` (WeChat: 5 s). */
async function deliver(h: Harness, push: { path: string; body: string }, timeoutMs = 4900): Promise<{ status: number; text: string } | 'timed out'> {
  try {
    const res = await fetch(h.t.url + push.path, { method: 'POST', body: push.body, headers: { 'content-type': 'text/xml' }, signal: AbortSignal.timeout(timeoutMs) });
    return { status: res.status, text: await res.text() };
  } catch (err) {
    if ((err as Error).name === 'TimeoutError') return 'timed out';
    throw err;
  }
}

describe('reply mode passive', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ env: { WECHAT_REPLY_MODE: 'passive', WECHAT_MESSAGE_MODE: 'compat', WXGATE_PASSIVE_WAIT_MS: '1500' } });
    attachWorkerMetrics(h.runtime!.workers, h.t.receiver.metrics); // one /metrics, as in `wxgate all`
  });
  afterAll(async () => {
    await h?.close();
  });

  it.each<PushMode>(['plain', 'aes', 'compat'])('answers the push with the reply (%s), ToUserName and FromUserName swapped; nothing through customer service', async (mode) => {
    const openid = newOpenid();
    const msg = text(openid, `hello ${mode} 你好`);
    const res = await h.push(msg, mode);
    expect(res.status).toBe(200);
    if (mode !== 'plain') expect(parseXml(res.text)).toHaveProperty('Encrypt');
    const answer = readAnswer(res.text);
    expect(answer).toMatchObject({ ToUserName: openid, FromUserName: 'gh_wxgate', MsgType: 'text', Content: `echo: hello ${mode} 你好` });
    expect(Number(answer.CreateTime)).toBeGreaterThan(1_700_000_000);
    const id = inboundId(msg.MsgId as string);
    expect(await receiveLine(h, id)).toMatchObject({ outcome: 'acked', answer: 'passive', replyWaitMs: expect.any(Number), handOverMs: expect.any(Number) });
    expect(await workerLine(h, id)).toMatchObject({ passive: 'handed', replies: 1 });
    await settled(h.inbound, id);
    expect(h.sentTo(openid)).toEqual([]);
  });

  it('ctx.replyMode tells the handler how its first reply travels', async () => {
    const res = await h.push(text(newOpenid(), 'replymode'));
    expect(readAnswer(res.text)).toMatchObject({ Content: 'mode passive' });
  });

  it('a late reply is dropped with one reply_too_late line and counted; the push got `success`', async () => {
    const openid = newOpenid();
    const msg = text(openid, 'slow:2500');
    const id = inboundId(msg.MsgId as string);
    expect(await h.push(msg)).toEqual({ status: 200, text: 'success' });
    expect(await receiveLine(h, id)).toMatchObject({ answer: 'too_late' });
    expect(await workerLine(h, id)).toMatchObject({ passive: 'late_dropped' });
    await settled(h.inbound, id);
    expect(h.t.logs.lines.filter((l) => l.dedupKey === id && l.code === 'reply_too_late')).toHaveLength(1);
    expect(h.sentTo(openid)).toEqual([]);
    const metrics = await h.t.receiver.metrics.registry.getSingleMetricAsString('wxgate_late_replies_total');
    expect(metrics).toMatch(new RegExp(`wxgate_late_replies_total\\{appid="${TEST_APP.appid}",fate="dropped"\\} [1-9]`));
    expect(await h.t.receiver.metrics.registry.getSingleMetricAsString('wxgate_passive_answers_total')).toMatch(/answer="too_late"\} [1-9]/);
  });

  it('a long text: the first 2,048 bytes in the answer, the rest cut with a line', async () => {
    const openid = newOpenid();
    const msg = text(openid, 'long:5000');
    const res = await h.push(msg);
    const content = readAnswer(res.text).Content as string;
    expect(Buffer.byteLength(content)).toBeLessThanOrEqual(2048);
    expect(longText(5000).startsWith(content)).toBe(true);
    const id = inboundId(msg.MsgId as string);
    await settled(h.inbound, id);
    expect(h.t.logs.lines.filter((l) => l.dedupKey === id && l.code === 'passive_cut').length).toBeGreaterThan(0);
    expect(h.sentTo(openid)).toEqual([]);
  });

  it('a handler with no reply, or one a passive reply cannot carry: `success` without waiting out the wait', async () => {
    const card = text(newOpenid(), 'card');
    expect(await h.push(card)).toEqual({ status: 200, text: 'success' });
    // `success`, not `too_late`: the worker released the wait.
    expect(await receiveLine(h, inboundId(card.MsgId as string))).toMatchObject({ answer: 'success' });
  });
});

describe('reply mode auto', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ env: { WECHAT_REPLY_MODE: 'auto', WXGATE_PASSIVE_WAIT_MS: '1000' } });
  });
  afterAll(async () => {
    await h?.close();
  });

  it('the first reply in the answer (encrypted), the others through customer service in order', async () => {
    const openid = newOpenid();
    const msg = text(openid, 'many:3');
    const res = await h.push(msg);
    expect(readAnswer(res.text)).toMatchObject({ ToUserName: openid, Content: 'part 1' });
    const sent = await waitFor(() => h.sentTo(openid).length === 2 && h.sentTo(openid), 'the other replies');
    expect(sent.map((s) => s.content)).toEqual(['part 2', 'part 3']);
  });

  it('a reply in the answer spends no customer-service quota: ctx.repliesLeft still shows 5 after it', async () => {
    const openid = newOpenid();
    const msg = text(openid, 'first-left');
    const res = await h.push(msg);
    expect(readAnswer(res.text)).toMatchObject({ ToUserName: openid, Content: 'first' });
    const sent = await waitFor(() => h.sentTo(openid).length === 1 && h.sentTo(openid), 'the second reply');
    expect(sent[0]).toMatchObject({ content: 'left 5' });
  });

  it('a long text: the first part in the answer, the rest through customer service', async () => {
    const openid = newOpenid();
    const res = await h.push(text(openid, 'long:5000'));
    const first = readAnswer(res.text).Content as string;
    const rest = await waitFor(() => h.sentTo(openid).length >= 2 && h.sentTo(openid), 'the rest');
    expect([first, ...rest.map((s) => s.content)].join('\n')).toBe(longText(5000));
  });

  it('a late reply: `success` when the wait runs out, the reply through customer service', async () => {
    const openid = newOpenid();
    const msg = text(openid, 'slow:2000');
    const id = inboundId(msg.MsgId as string);
    expect(await h.push(msg)).toEqual({ status: 200, text: 'success' });
    expect(await receiveLine(h, id)).toMatchObject({ answer: 'too_late' });
    const sent = await waitFor(() => h.sentTo(openid).length === 1 && h.sentTo(openid), 'the late reply');
    expect(sent[0]).toMatchObject({ content: 'done 2000' });
    expect(await workerLine(h, id)).toMatchObject({ passive: 'late_custom' });
    expect(h.t.logs.lines.find((l) => l.dedupKey === id && l.code === 'reply_too_late')).toMatchObject({ via: 'custom' });
  });

  it('a reply a passive answer cannot carry goes through customer service, and the push is not kept waiting', async () => {
    const openid = newOpenid();
    const msg = text(openid, 'card');
    expect(await h.push(msg)).toEqual({ status: 200, text: 'success' });
    expect(await receiveLine(h, inboundId(msg.MsgId as string))).toMatchObject({ answer: 'success' });
    await waitFor(() => h.sentTo(openid).length === 1, 'the card through customer service');
  });
});

describe('reply mode passive with WXGATE_PASSIVE_USE_RETRIES=1', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ env: { WECHAT_REPLY_MODE: 'passive', WXGATE_PASSIVE_WAIT_MS: '300', WXGATE_PASSIVE_USE_RETRIES: '1' } });
  });
  afterAll(async () => {
    await h?.close();
  });

  it('the first delivery runs out; WeChat\'s retry carries the reply; the handler ran once', async () => {
    const openid = newOpenid();
    const msg = text(openid, 'slow:800');
    const id = inboundId(msg.MsgId as string);
    const push = buildPush(TEST_APP, msg, { mode: 'aes' });
    expect(await deliver(h, push, 1500)).toBe('timed out');
    expect(await receiveLine(h, id)).toMatchObject({ answer: 'run_out' });
    await waitFor(() => h.t.logs.lines.find((l) => l.layer === 'worker' && l.dedupKey === id && l.passive === 'held'), 'the reply held for the retry');
    const retry = await deliver(h, push);
    expect(retry).not.toBe('timed out');
    expect(readAnswer((retry as { text: string }).text)).toMatchObject({ ToUserName: openid, Content: 'done 800' });
    expect(h.t.logs.lines.filter((l) => l.layer === 'receive' && l.dedupKey === id).map((l) => l.answer)).toEqual(['run_out', 'passive']);
    expect(h.t.logs.lines.filter((l) => l.layer === 'handler' && l.dedupKey === id && l.msg === 'slow handler started')).toHaveLength(1);
    expect(h.sentTo(openid)).toEqual([]);
  });

  it('the last of WeChat\'s three deliveries is answered `success` whatever happens', async () => {
    const msg = text(newOpenid(), 'slow:5000');
    const id = inboundId(msg.MsgId as string);
    const push = buildPush(TEST_APP, msg, { mode: 'aes' });
    expect(await deliver(h, push, 800)).toBe('timed out');
    expect(await deliver(h, push, 800)).toBe('timed out');
    expect(await deliver(h, push)).toEqual({ status: 200, text: 'success' });
    expect(h.t.logs.lines.filter((l) => l.layer === 'receive' && l.dedupKey === id).map((l) => l.answer)).toEqual(['run_out', 'run_out', 'too_late']);
  });
});

describe('several accounts in different reply modes', () => {
  let h: Harness;
  let dir: string;
  const accounts = [
    { appid: 'wxmixcustom00001', token: 'tokcustom', encodingAESKey: TEST_APP.encodingAESKey, replyMode: 'custom' },
    { appid: 'wxmixpassive0001', token: 'tokpassive', replyMode: 'passive' },
    { appid: 'wxmixauto0000001', token: 'tokauto', encodingAESKey: 'B'.repeat(43), replyMode: 'auto' },
  ] as const;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'wxgate-passive-apps-'));
    const file = join(dir, 'apps.json');
    await writeFile(file, JSON.stringify(accounts.map((a) => ({ ...a, appsecret: 'wxgate-test-secret' }))));
    // The harness's own single account stays, in mode custom.
    h = await startHarness({ env: { WXGATE_APPS_FILE: file, WXGATE_PASSIVE_WAIT_MS: '1500' } });
  });
  afterAll(async () => {
    await h?.close();
    await rm(dir, { recursive: true, force: true });
  });

  const pushTo = async (account: (typeof accounts)[number], msg: XmlRecord) => {
    const key = 'encodingAESKey' in account ? account.encodingAESKey : undefined;
    const p = buildPush({ appid: account.appid, token: account.token, encodingAESKey: key }, msg, { mode: key ? 'aes' : 'plain', basePath: `/wechat/${account.appid}` });
    const res = await fetch(h.t.url + p.path, { method: 'POST', body: p.body });
    return { status: res.status, text: await res.text() };
  };

  it('custom: `success` and customer service; passive: plaintext answer; auto: encrypted answer with its own key', async () => {
    const [custom, passive, auto] = accounts;
    const users = [newOpenid(), newOpenid(), newOpenid()];
    const [a, b, c] = await Promise.all([pushTo(custom, text(users[0]!, 'one')), pushTo(passive, text(users[1]!, 'two')), pushTo(auto, text(users[2]!, 'three'))]);
    expect(a).toEqual({ status: 200, text: 'success' });
    expect(readAnswer(b.text)).toMatchObject({ ToUserName: users[1], Content: 'echo: two' });
    expect(readAnswer(c.text, { appid: auto.appid, token: auto.token, encodingAESKey: auto.encodingAESKey })).toMatchObject({ ToUserName: users[2], Content: 'echo: three' });
    const sent = await waitFor(() => h.mock.state.sent({ touser: users[0]! }).length === 1 && h.mock.state.sent({ touser: users[0]! }), 'the custom reply');
    expect(sent[0]).toMatchObject({ appid: custom.appid });
    expect(h.sentTo(users[1]!)).toEqual([]);
    expect(h.sentTo(users[2]!)).toEqual([]);
    const lines = h.t.logs.lines.filter((l) => l.layer === 'receive' && users.includes(l.openid as string));
    expect(lines.find((l) => l.openid === users[0])).not.toHaveProperty('answer');
    expect(lines.find((l) => l.openid === users[1])).toMatchObject({ answer: 'passive' });
  });
});

describe('a spooled push in reply mode auto', () => {
  let redis: OwnRedis;
  let h: Harness;
  beforeAll(async () => {
    redis = await ownRedis();
    await redis.start();
    h = await startHarness({ env: { REDIS_URL: redis.url, WXGATE_ENQUEUE_TIMEOUT_MS: '300', WECHAT_REPLY_MODE: 'auto', WXGATE_PASSIVE_WAIT_MS: '4000' } });
  });
  afterAll(async () => {
    await h?.close();
    await redis?.stop();
  });

  it('gets `success` at once (no worker can see it in time); its reply comes through customer service once drained', async () => {
    const openid = newOpenid();
    const msg = text(openid, 'while slow');
    const admin = new Redis(redis.url);
    const sleeping = admin.call('DEBUG', 'SLEEP', '1.5').catch(() => undefined);
    await new Promise((r) => setTimeout(r, 50));
    expect(await h.push(msg)).toEqual({ status: 200, text: 'success' });
    const line = await receiveLine(h, inboundId(msg.MsgId as string));
    expect(line).toMatchObject({ outcome: 'spooled', answer: 'success', waitSkipped: 'spooled', replyWaitMs: expect.any(Number) });
    await sleeping;
    admin.disconnect();
    const sent = await waitFor(() => h.sentTo(openid).length === 1 && h.sentTo(openid), 'the reply after the drain', 30_000);
    expect(sent[0]).toMatchObject({ content: 'echo: while slow' });
  });
});

describe('reply mode auto: a push spooled after its add reached Redis (a replica wait that failed)', () => {
  let h: Harness;
  beforeAll(async () => {
    // WAIT 1 on a Redis without replicas: the add lands and the worker runs the handler, then the
    // wait comes back short and the store spools the push. The handler's reply came in the meantime.
    h = await startHarness({ env: { WECHAT_REPLY_MODE: 'auto', WXGATE_REDIS_WAIT_REPLICAS: '1', WXGATE_ENQUEUE_TIMEOUT_MS: '1500', WXGATE_PASSIVE_WAIT_MS: '3000' } });
  });
  afterAll(async () => {
    await h?.close();
  });

  it('answers with the reply the worker handed over already: the worker sends nothing else, so `success` lost it', async () => {
    const openid = newOpenid();
    const msg = text(openid, 'handed early');
    const res = await h.push(msg);
    const id = inboundId(msg.MsgId as string);
    expect(await receiveLine(h, id)).toMatchObject({ outcome: 'spooled', waitSkipped: 'spooled', answer: 'passive' });
    expect(readAnswer(res.text)).toMatchObject({ ToUserName: openid, Content: 'echo: handed early' });
    expect(await workerLine(h, id)).toMatchObject({ passive: 'handed' });
  });
});
