// The whole path with real pieces: a push to the real receiver is answered `success`, a worker
// runs the fixture handler, and the reply reaches the mock WeChat API through custom/send.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventMessage } from '../../src/dev/pushes.js';
import { PROBE_OPENID } from '../../src/probe-openid.js';
import { replayGuard } from '../../src/queue/inbound-job-options.js';
import { sha1Signature } from '../../src/wechat/signature.js';
import { TEST_APP } from '../helpers/receiver.js';
import { inboundId, newOpenid, settled, startHarness, text, waitFor, type Harness } from '../fixtures/worker/harness.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.close();
});

const handledLines = (dedupKey: string) => h.t.logs.lines.filter((l) => l.layer === 'worker' && l.dedupKey === dedupKey && l.outcome === 'handled');

describe('a pushed message is handled once and answered through custom/send', () => {
  it('text: success, one handler run, the reply arrives with the right openid and content', async () => {
    const openid = newOpenid();
    const msg = text(openid, 'hello 你好');
    expect(await h.push(msg)).toEqual({ status: 200, text: 'success' });
    const sent = await waitFor(() => h.sentTo(openid).length === 1 && h.sentTo(openid), 'the reply');
    expect(sent[0]).toMatchObject({ msgtype: 'text', content: 'echo: hello 你好', body: { touser: openid } });
    const id = inboundId(msg.MsgId as string);
    const job = await settled(h.inbound, id);
    expect(await job.getState()).toBe('completed');
    expect(job.returnvalue).toMatchObject({ replies: 1 });
    await settled(h.outbound, `${id}_r0`);
    expect(await h.outbound.getJob(`${id}_r1`)).toBeUndefined();
    expect(handledLines(id)).toHaveLength(1);
  });

  it("a probe push (wxgate probe) is acknowledged and queued, but no handler runs and nothing is sent", async () => {
    const msg = text(PROBE_OPENID, 'probe');
    expect(await h.push(msg)).toEqual({ status: 200, text: 'success' });
    const job = await settled(h.inbound, inboundId(msg.MsgId as string));
    expect(job.returnvalue).toMatchObject({ route: null, replies: 0 });
    expect(h.sentTo(PROBE_OPENID)).toEqual([]);
  });

  it('every layer logs the same keys, so one grep for the openid shows the whole life', async () => {
    const openid = newOpenid();
    const msg = text(openid, 'trace me');
    await h.push(msg);
    await waitFor(() => h.sentTo(openid).length === 1, 'the reply');
    const id = inboundId(msg.MsgId as string);
    await settled(h.outbound, `${id}_r0`);
    const mine = h.t.logs.lines.filter((l) => l.openid === openid);
    const byLayer = (layer: string) => mine.find((l) => l.layer === layer && (layer !== 'send' || l.outcome === 'sent'));
    const keys = { appid: h.t.config.apps[0]!.appid, openid, stamp: Number(msg.CreateTime), dedupKey: id };
    expect(byLayer('receive')).toMatchObject({ appid: keys.appid, openid, stamp: keys.stamp, dedupKey: id });
    const reqId = byLayer('receive')!.reqId;
    expect(byLayer('worker')).toMatchObject({ ...keys, reqId, outcome: 'handled', replies: 1, route: 'text' });
    expect(byLayer('worker')).toHaveProperty('waitMs');
    expect(byLayer('worker')).toHaveProperty('handlerMs');
    expect(byLayer('send')).toMatchObject({ ...keys, reqId, errcode: 0, attempt: 1 });
    expect(byLayer('send')).toHaveProperty('ms');
  });

  it('a handler that takes 8 s: the push is acknowledged before the handler ends, the reply comes later', async () => {
    const openid = newOpenid();
    const msg = text(openid, 'slow:8000');
    const id = inboundId(msg.MsgId as string);
    expect(await h.push(msg)).toEqual({ status: 200, text: 'success' });
    // Acknowledged while the handler has not answered yet: the job is still queued or running.
    expect(h.sentTo(openid)).toHaveLength(0);
    expect(['waiting', 'active']).toContain(await h.inbound.getJobState(id));
    const sent = await waitFor(() => h.sentTo(openid).length === 1 && h.sentTo(openid), 'the slow reply', 25_000);
    expect(sent[0]).toMatchObject({ content: 'done 8000', body: { touser: openid } });
    expect(handledLines(id)).toHaveLength(1);
  });

  it('the same message delivered 3 times (WeChat retries): one handler run, one reply', async () => {
    const openid = newOpenid();
    const msg = text(openid, 'said thrice');
    for (let i = 0; i < 3; i += 1) expect(await h.push(msg)).toEqual({ status: 200, text: 'success' });
    const id = inboundId(msg.MsgId as string);
    await settled(h.inbound, id);
    await settled(h.outbound, `${id}_r0`);
    // A fourth delivery after the work is done is still absorbed.
    expect((await h.push(msg)).text).toBe('success');
    expect(await h.inbound.getJobState(id)).toBe('completed');
    expect(h.sentTo(openid)).toHaveLength(1);
    expect(handledLines(id)).toHaveLength(1);
  });

  it('events route by Event + EventKey, then Event; unknown ones reach the fallback', async () => {
    const openid = newOpenid();
    await h.push(eventMessage({ openid, event: 'subscribe' }));
    await waitFor(() => h.sentTo(openid).length === 1, 'the welcome');
    await h.push(eventMessage({ openid, event: 'CLICK', eventKey: 'MENU_A', createTime: Math.floor(Date.now() / 1000) + 1 }));
    await waitFor(() => h.sentTo(openid).length === 2, 'the menu answer');
    await h.push(eventMessage({ openid, event: 'VIEW', eventKey: 'https://example.com', createTime: Math.floor(Date.now() / 1000) + 2 }));
    await waitFor(() => h.sentTo(openid).length === 3, 'the fallback');
    expect(h.sentTo(openid).map((s) => s.content)).toEqual(['welcome', 'menu a', 'fallback event']);
  });

  it('a long answer is split on line breaks into parts within 2048 bytes, sent in order', async () => {
    const openid = newOpenid();
    const { longText } = await import('../fixtures/worker/handlers.js');
    await h.push(text(openid, 'long:5000'));
    const sent = await waitFor(() => h.sentTo(openid).length >= 3 && h.sentTo(openid), 'three parts');
    for (const s of sent) expect(Buffer.byteLength(s.content!)).toBeLessThanOrEqual(2048);
    expect(sent.map((s) => s.content).join('\n')).toBe(longText(5000));
  });

  it('ctx.typing() reaches custom/typing before the answer, and is not counted in the quota', async () => {
    const openid = newOpenid();
    await h.push(text(openid, 'typing'));
    const sent = await waitFor(() => h.sentTo(openid).length === 2 && h.sentTo(openid), 'typing and the answer');
    expect(sent.map((s) => s.msgtype)).toEqual(['typing', 'text']);
    expect(h.mock.state.sent({ touser: openid, path: '/cgi-bin/message/custom/typing' })[0]?.body).toMatchObject({ touser: openid, command: 'Typing' });
    await h.push(text(openid, 'left'));
    await waitFor(() => h.sentTo(openid).length === 3, 'the answer to "left"');
    // The new message opened a fresh window of 5; the typing indicator never counted.
    expect(h.sentTo(openid)[2]!.content).toBe('left 5');
  });
});

describe('reply quota (WeChat: 5 per 48 h after a message, 3 per minute after a click)', () => {
  it('a sixth reply to one message fails at once with quota_exhausted and no API call; the five go out in order', async () => {
    const openid = newOpenid();
    const msg = text(openid, 'many:7');
    await h.push(msg);
    const id = inboundId(msg.MsgId as string);
    for (let i = 0; i < 7; i += 1) await settled(h.outbound, `${id}_r${i}`);
    expect(h.sentTo(openid).map((s) => s.content)).toEqual(['part 1', 'part 2', 'part 3', 'part 4', 'part 5']);
    for (const i of [5, 6]) {
      const job = (await h.outbound.getJob(`${id}_r${i}`))!;
      expect(await job.getState()).toBe('failed');
      expect(job.data.lastError).toMatchObject({ code: 'quota_exhausted', retryable: false });
      expect(job.attemptsMade).toBe(1);
    }
  });

  it('after a menu click: three replies, the fourth refused', async () => {
    const openid = newOpenid();
    await h.push(eventMessage({ openid, event: 'CLICK', eventKey: 'MENU_MANY' }));
    await waitFor(() => h.sentTo(openid).length === 3, 'three replies');
    const failed = await waitFor(async () => (await h.outbound.getFailed()).find((j) => j.data.openid === openid), 'the refused fourth');
    expect(failed.data.lastError).toMatchObject({ code: 'quota_exhausted' });
    expect(h.sentTo(openid).map((s) => s.content)).toEqual(['m1', 'm2', 'm3']);
  });

  it('a reply to a message older than the 48-hour window is refused without an API call', async () => {
    const openid = newOpenid();
    const msg = text(openid, 'from long ago', { createTime: Math.floor(Date.now() / 1000) - 49 * 3600 });
    await h.push(msg);
    const job = await settled(h.outbound, `${inboundId(msg.MsgId as string)}_r0`);
    expect(await job.getState()).toBe('failed');
    expect(job.data.lastError?.code).toBe('quota_window_closed');
    expect(h.sentTo(openid)).toHaveLength(0);
  });
});

describe('ctx.reply sends while the handler is still working', () => {
  it('the first reply arrives before the handler ends; the final one after it', async () => {
    const openid = newOpenid();
    const msg = text(openid, 'progress:4000');
    const id = inboundId(msg.MsgId as string);
    await h.push(msg);
    await waitFor(() => h.sentTo(openid).length === 1, 'the progress reply');
    expect(h.sentTo(openid)[0]!.content).toBe('working on it');
    expect(await h.inbound.getJobState(id)).toBe('active');
    await waitFor(() => h.sentTo(openid).length === 2, 'the final reply');
    expect(h.sentTo(openid)[1]!.content).toBe('finished');
  });
});

describe('outbound rate limit per appid', () => {
  let slow: Harness;
  beforeAll(async () => {
    slow = await startHarness({ env: { WXGATE_OUTBOUND_RATE: '2' } });
  });
  afterAll(async () => {
    await slow?.close();
  });

  it('replies over the rate wait (delayed, not failed, no attempt used) and all go out in order', async () => {
    const openid = newOpenid();
    const msg = text(openid, 'many:5');
    await slow.push(msg);
    const id = inboundId(msg.MsgId as string);
    for (let i = 0; i < 5; i += 1) {
      const job = await settled(slow.outbound, `${id}_r${i}`);
      expect(await job.getState()).toBe('completed');
      expect(job.attemptsMade).toBeLessThanOrEqual(1);
    }
    expect(slow.sentTo(openid).map((s) => s.content)).toEqual(['part 1', 'part 2', 'part 3', 'part 4', 'part 5']);
    // 5 sends at 2 a second from a bucket of 2: some had to wait.
    expect(slow.t.logs.lines.some((l) => l.layer === 'send' && l.openid === openid && l.reason === 'rate')).toBe(true);
  });
});

describe('a URL-verification GET on an account that accepts plaintext', () => {
  let c: Harness;
  beforeAll(async () => {
    c = await startHarness({ env: { WECHAT_MESSAGE_MODE: 'compat' } });
  });
  afterAll(async () => {
    await c?.close();
  });

  it('leaves a job that holds its nonce; the worker completes it without a handler, and nothing is sent', async () => {
    const timestamp = String(Math.floor(Date.now() / 1000));
    const nonce = `v${Date.now()}`;
    const signature = sha1Signature([TEST_APP.token, timestamp, nonce]);
    const res = await fetch(`${c.t.url}/wechat?${new URLSearchParams({ signature, timestamp, nonce, echostr: 'e' })}`);
    expect(await res.text()).toBe('e');
    const job = await settled(c.inbound, `v_${replayGuard(TEST_APP.appid, timestamp, nonce, '', 300).id}`);
    expect(await job.getState()).toBe('completed');
    expect(job.returnvalue).toMatchObject({ route: null, replies: 0 });
    expect(c.t.logs.lines.filter((l) => l.layer === 'worker' && (l.level as number) >= 30 && l.dedupKey === job.id)).toEqual([]);
    expect(c.t.logs.lines.filter((l) => l.layer === 'send')).toEqual([]);
  });
});
