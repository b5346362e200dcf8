// The simulator against tiny servers that answer as a WeChat server URL may: what WeChat counts
// as an answer, its alert words and counts, 3 deliveries of the very same request.
// Timeouts are shortened (the 5 s and 3 s are options); nothing here asserts on speed.
import { afterEach, describe, expect, it } from 'vitest';
import { classifyAnswer } from '../../src/dev/simulator/classify-answer.js';
import { buildMessage, SIM_KINDS } from '../../src/dev/simulator/message-kinds.js';
import { simulate } from '../../src/dev/simulator/simulate.js';
import type { MessageResult, SimulateOptions } from '../../src/dev/simulator/types.js';
import { createMessageCipher } from '../../src/wechat/cipher.js';
import { sha1Signature } from '../../src/wechat/signature.js';
import { parseXml } from '../../src/wechat/xml.js';
import { closedPort, late, reply, startTinyServer, type Answer, type TinyServer } from './simulator-servers.js';

const ACCOUNT = { appid: 'wxsim00000000001', token: 'simtoken', aesKey: 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG' };
const FAST = { timeoutMs: 1000, connectTimeoutMs: 1000, retryIntervalMs: 0 } satisfies Partial<SimulateOptions>;

const servers: TinyServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});
async function server(answer: Answer): Promise<TinyServer> {
  const s = await startTinyServer(answer);
  servers.push(s);
  return s;
}

const alert = (s: Awaited<ReturnType<typeof simulate>>, id: string) => s.alerts.find((a) => a.id === id)!;

describe('what WeChat counts as an answer', () => {
  it('success and the empty body are acknowledgements; a passive reply is accepted; anything else is not', () => {
    expect(classifyAnswer(200, 'success')).toBe('ack');
    expect(classifyAnswer(200, '')).toBe('ack');
    expect(classifyAnswer(200, '<xml><ToUserName><![CDATA[o1]]></ToUserName><MsgType><![CDATA[text]]></MsgType><Content>hi</Content></xml>')).toBe('passive');
    expect(classifyAnswer(200, '<xml><Encrypt><![CDATA[abc]]></Encrypt><MsgSignature>x</MsgSignature></xml>')).toBe('passive');
    for (const body of ['fail', 'SUCCESS', 'success\n', ' ', '{"errcode":0}', '<html>502</html>', '<xml></xml>']) expect(classifyAnswer(200, body)).toBe('invalid');
    expect(classifyAnswer(500, 'success')).toBe('invalid');
    expect(classifyAnswer(302, '')).toBe('invalid');
  });
});

describe('simulate against a server that acknowledges', () => {
  it('plain mode: every message signed, acknowledged first time, counted', async () => {
    const s = await server(reply('success'));
    const summary = await simulate({ ...ACCOUNT, aesKey: undefined, url: s.url, count: 12, users: 3, concurrency: 4 });
    expect(summary).toMatchObject({ mode: 'plain', messages: 12, notSent: 0, deliveries: 12, acknowledged: { first: 12, afterRetry: 0, never: 0 }, timedOutShare: 0 });
    expect(summary.alerts.map((a) => [a.keyword, a.count])).toEqual([['请求超时', 0], ['回应失败', 0], ['连接超时', 0]]);
    expect(summary.latencyMs).not.toBeNull();
    for (const r of s.seen) {
      expect(r.query.signature).toBe(sha1Signature([ACCOUNT.token, r.query.timestamp!, r.query.nonce!]));
      expect(parseXml(r.body).FromUserName).toBe(r.query.openid);
    }
    expect(new Set(s.seen.map((r) => r.query.openid)).size).toBe(3);
    expect(new Set(s.seen.map((r) => parseXml(r.body).MsgId)).size).toBe(12);
  });

  it('prebuild: the same pushes, built before onStart and the first send', async () => {
    const s = await server(reply('success'));
    let seenAtStart = -1;
    const summary = await simulate({ ...ACCOUNT, url: s.url, count: 6, users: 2, concurrency: 3, prebuild: true, onStart: () => (seenAtStart = s.seen.length) });
    expect(seenAtStart).toBe(0);
    expect(summary).toMatchObject({ mode: 'aes', messages: 6, acknowledged: { first: 6 } });
    const cipher = createMessageCipher({ appid: ACCOUNT.appid, encodingAESKey: ACCOUNT.aesKey });
    for (const r of s.seen) {
      const encrypt = parseXml(r.body).Encrypt as string;
      expect(r.query.msg_signature).toBe(sha1Signature([ACCOUNT.token, r.query.timestamp!, r.query.nonce!, encrypt]));
      expect(parseXml(cipher.decrypt(encrypt)).FromUserName).toBe(r.query.openid);
    }
    expect(new Set(s.seen.map((r) => r.query.openid)).size).toBe(2);
  });

  it('aes mode: msg_signature over the ciphertext, which decrypts to the message for this appid', async () => {
    const s = await server(reply(''));
    const summary = await simulate({ ...ACCOUNT, url: `${s.url}/${ACCOUNT.appid}`, count: 3, content: '你好 007' });
    expect(summary).toMatchObject({ mode: 'aes', acknowledged: { first: 3 } });
    const cipher = createMessageCipher({ appid: ACCOUNT.appid, encodingAESKey: ACCOUNT.aesKey });
    for (const r of s.seen) {
      expect(r.url.startsWith(`/wechat/${ACCOUNT.appid}?`)).toBe(true);
      expect(r.query.encrypt_type).toBe('aes');
      const encrypt = String(parseXml(r.body).Encrypt);
      expect(r.query.msg_signature).toBe(sha1Signature([ACCOUNT.token, r.query.timestamp!, r.query.nonce!, encrypt]));
      expect(parseXml(cipher.decrypt(encrypt))).toMatchObject({ MsgType: 'text', Content: '你好 007' });
    }
  });

  it('a passive reply counts as acknowledged, and is reported as one', async () => {
    const s = await server(reply('<xml><ToUserName>o</ToUserName><MsgType>text</MsgType><Content>hi</Content></xml>'));
    const summary = await simulate({ ...ACCOUNT, url: s.url, count: 2, mode: 'compat' });
    expect(summary).toMatchObject({ acknowledged: { first: 2 }, deliveries: 2, passiveReplies: 2 });
    expect(parseXml(s.seen[0]!.body)).toHaveProperty('Encrypt');
    expect(parseXml(s.seen[0]!.body)).toHaveProperty('Content');
  });

  it('every kind is a documented push; events of one user get distinct CreateTime seconds', async () => {
    const s = await server(reply('success'));
    const summary = await simulate({ ...ACCOUNT, url: s.url, mode: 'plain', kinds: SIM_KINDS, count: SIM_KINDS.length * 2, concurrency: 1 });
    expect(summary.acknowledged.first).toBe(SIM_KINDS.length * 2);
    const bodies = s.seen.map((r) => parseXml(r.body));
    expect(bodies.slice(0, SIM_KINDS.length).map((b) => (b.MsgType === 'event' ? `event.${String(b.Event)}` : b.MsgType))).toEqual([
      'text', 'image', 'voice', 'location', 'link', 'event.subscribe', 'event.unsubscribe', 'event.CLICK', 'event.VIEW', 'event.SCAN',
    ]);
    for (const b of bodies) {
      if (b.MsgType === 'event') expect(b.MsgId).toBeUndefined();
      else expect(String(b.MsgId)).toMatch(/^\d+$/);
    }
    const eventTimes = bodies.filter((b) => b.MsgType === 'event').map((b) => b.CreateTime);
    expect(new Set(eventTimes).size).toBe(eventTimes.length);
  });

  it('buildMessage puts --content where each kind carries it', () => {
    const base = { openid: 'o1', msgId: '1', createTime: 1, toUser: 'gh_x', seq: 1, content: 'K' };
    expect(buildMessage({ ...base, kind: 'text' }).Content).toBe('K');
    expect(buildMessage({ ...base, kind: 'click' }).EventKey).toBe('K');
    expect(buildMessage({ ...base, kind: 'scan' }).EventKey).toBe('K');
    expect(buildMessage({ ...base, kind: 'link' }).Title).toBe('K');
  });
});

describe('simulate against servers that fail: WeChat alert words, counts, 3 deliveries', () => {
  function sameRequestEachTime(s: TinyServer, results: MessageResult[]): void {
    for (const r of results) {
      const mine = s.seen.filter((q) => q.query.openid === r.openid);
      expect(mine).toHaveLength(r.deliveries.length);
      expect(new Set(mine.map((q) => q.url)).size).toBe(1); // same signature, timestamp, nonce
      expect(new Set(mine.map((q) => q.body)).size).toBe(1); // same MsgId, same ciphertext
    }
  }

  it("answers 'fail': 回应失败, 3 deliveries of the same request, never acknowledged, the answer in the sample", async () => {
    const s = await server(reply('fail'));
    const results: MessageResult[] = [];
    const summary = await simulate({ ...ACCOUNT, ...FAST, url: s.url, count: 2, users: 2, onMessage: (r) => results.push(r) });
    expect(summary).toMatchObject({ messages: 2, deliveries: 6, acknowledged: { first: 0, afterRetry: 0, never: 2 }, timedOutShare: 0 });
    expect(alert(summary, 'response_failure')).toMatchObject({ keyword: '回应失败', count: 6, messages: 2 });
    expect(alert(summary, 'response_failure').first!.sample).toMatch(/^\[OpenID=o\w+\]\[Stamp=\d+\]\[3rdUrl=http:\/\/127\.0\.0\.1:\d+\/wechat\]\[IP=127\.0\.0\.1\]\[Msg=Text\]\[response_length=4\]\[response_content=fail\]$/);
    expect(alert(summary, 'request_timeout').count).toBe(0);
    expect(s.seen).toHaveLength(6);
    sameRequestEachTime(s, results);
  });

  it('answers too late: 请求超时 on every delivery, 3 deliveries, all messages timed out', async () => {
    const s = await server(late(10_000));
    const summary = await simulate({ ...ACCOUNT, ...FAST, url: s.url, count: 2, users: 2 });
    expect(summary).toMatchObject({ messages: 2, deliveries: 6, acknowledged: { never: 2 }, timedOutShare: 1, latencyMs: null });
    expect(alert(summary, 'request_timeout')).toMatchObject({ keyword: '请求超时', count: 6, messages: 2 });
    expect(alert(summary, 'response_failure').count).toBe(0);
  });

  it('nothing listening: 连接超时, 3 deliveries, the error in the sample', async () => {
    const port = await closedPort();
    const summary = await simulate({ ...ACCOUNT, ...FAST, url: `http://127.0.0.1:${port}/wechat`, count: 1, kinds: ['click'] });
    expect(summary).toMatchObject({ messages: 1, deliveries: 3, acknowledged: { never: 1 } });
    expect(alert(summary, 'connection_timeout')).toMatchObject({ keyword: '连接超时', count: 3, messages: 1 });
    expect(alert(summary, 'connection_timeout').first!.sample).toMatch(/\[Event=CLICK\]\[error=ECONNREFUSED\]$/);
  });

  it('a 500 with success in it is still 回应失败', async () => {
    const s = await server(reply('success', 500));
    const summary = await simulate({ ...ACCOUNT, ...FAST, url: s.url, count: 1, maxDeliveries: 2 });
    expect(summary).toMatchObject({ deliveries: 2, acknowledged: { never: 1 } });
    expect(alert(summary, 'response_failure').count).toBe(2);
  });

  it('fails once, then success: acknowledged after a retry, two deliveries with one MsgId', async () => {
    const s = await server((req, n, res) => reply(n === 1 ? 'fail' : 'success')(req, n, res));
    const results: MessageResult[] = [];
    const summary = await simulate({ ...ACCOUNT, ...FAST, url: s.url, count: 1, onMessage: (r) => results.push(r) });
    expect(summary).toMatchObject({ deliveries: 2, acknowledged: { first: 0, afterRetry: 1, never: 0 } });
    expect(alert(summary, 'response_failure')).toMatchObject({ count: 1, messages: 1 });
    expect(results[0]).toMatchObject({ ackedOn: 2 });
    sameRequestEachTime(s, results);
  });

  it('a mix: one user is answered late, the other at once; the timed-out share is of messages', async () => {
    const s = await server((req, n, res) => (req.query.openid!.endsWith('0000000000000000') ? late(10_000) : reply('success'))(req, n, res));
    const summary = await simulate({ ...ACCOUNT, ...FAST, url: s.url, count: 4, users: 2 });
    expect(summary).toMatchObject({ messages: 4, deliveries: 2 + 2 * 3, acknowledged: { first: 2, never: 2 }, timedOutShare: 0.5 });
    expect(alert(summary, 'request_timeout')).toMatchObject({ count: 6, messages: 2 });
  });
});

describe('options are checked', () => {
  it('compat/aes without a key, a non-http URL, no kinds', async () => {
    await expect(simulate({ ...ACCOUNT, aesKey: undefined, mode: 'aes', url: 'http://127.0.0.1:1/wechat' })).rejects.toThrow(/EncodingAESKey/);
    await expect(simulate({ ...ACCOUNT, url: 'https://127.0.0.1:1/wechat' })).rejects.toThrow(/http:\/\//);
    await expect(simulate({ ...ACCOUNT, url: 'http://127.0.0.1:1/wechat', kinds: [] })).rejects.toThrow(/kinds/);
  });
});
