import { createCipheriv, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildPush, eventMessage, textMessage, type PushMode } from '../../src/dev/pushes.js';
import { createMessageCipher, decodeAESKey } from '../../src/wechat/cipher.js';
import { sha1Signature } from '../../src/wechat/signature.js';
import { buildXml } from '../../src/wechat/xml.js';
import { startTestReceiver, TEST_APP, type TestReceiver } from '../helpers/receiver.js';

// One receiver per accepted mode (WECHAT_MESSAGE_MODE): `t` is the default with a key, safe.
let t: TestReceiver;
let plain: TestReceiver;
let compat: TestReceiver;
beforeAll(async () => {
  [t, plain, compat] = await Promise.all([
    startTestReceiver(),
    startTestReceiver({ WECHAT_ENCODING_AES_KEY: '' }),
    startTestReceiver({ WECHAT_MESSAGE_MODE: 'compat' }),
  ]);
});
afterAll(async () => {
  await Promise.all([t, plain, compat].map((r) => r?.close()));
});

const uniqueMsgId = () => `${BigInt(Date.now()) * 1000000n + BigInt(Math.floor(Math.random() * 1e6))}`;
const openid = () => `oTest${randomUUID().replace(/-/g, '').slice(0, 20)}`;

async function post(path: string, body: string, headers: Record<string, string> = {}, r = t) {
  const res = await fetch(r.url + path, { method: 'POST', body, headers: { 'content-type': 'text/xml', ...headers } });
  return { status: res.status, text: await res.text(), type: res.headers.get('content-type') };
}

const metricsText = async (r: TestReceiver) => (await fetch(`${r.url}/metrics`)).text();

/** wxgate_pushes_total for the test account's rejections with this reason (0 before the first). */
async function rejections(r: TestReceiver, reason: string): Promise<number> {
  const m = new RegExp(`wxgate_pushes_total\\{appid="${TEST_APP.appid}",outcome="rejected",reason="${reason}"\\} (\\d+)`).exec(await metricsText(r));
  return m ? Number(m[1]) : 0;
}

async function jobCount(r = t): Promise<number> {
  const counts = await r.receiver.queue.getJobCounts('waiting', 'active', 'completed', 'failed', 'delayed', 'prioritized');
  return Object.values(counts).reduce((a, b) => a + b, 0);
}

describe('URL verification (GET)', () => {
  it('echoes echostr when the signature holds', async () => {
    const timestamp = String(Math.floor(Date.now() / 1000));
    const nonce = 'n123';
    const signature = sha1Signature([TEST_APP.token, timestamp, nonce]);
    const res = await fetch(`${t.url}/wechat?${new URLSearchParams({ signature, timestamp, nonce, echostr: 'hello123' })}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(await res.text()).toBe('hello123');
    const res2 = await fetch(`${t.url}/wechat/${TEST_APP.appid}?${new URLSearchParams({ signature, timestamp, nonce, echostr: 'e2' })}`);
    expect(await res2.text()).toBe('e2');
  });

  it('401 with the failed check in the log, never the token', async () => {
    const timestamp = String(Math.floor(Date.now() / 1000));
    const reqId = randomUUID();
    const res = await fetch(`${t.url}/wechat?${new URLSearchParams({ signature: 'f'.repeat(40), timestamp, nonce: 'x', echostr: 'e' })}`, { headers: { 'x-request-id': reqId } });
    expect(res.status).toBe(401);
    const line = t.logs.find((l) => l.reqId === reqId);
    expect(line).toMatchObject({ layer: 'receive', reason: 'signature_mismatch', status: 401 });
    expect(t.logs.raw.join('')).not.toContain(TEST_APP.token);
  });

  it('refused on /wechat in single-account mode: the line and the metric name the account (issue 16)', async () => {
    const timestamp = String(Math.floor(Date.now() / 1000));
    const reqId = randomUUID();
    const before = await rejections(t, 'signature_mismatch');
    await fetch(`${t.url}/wechat?${new URLSearchParams({ signature: 'e'.repeat(40), timestamp, nonce: 'y', echostr: 'e' })}`, { headers: { 'x-request-id': reqId } });
    expect(t.logs.find((l) => l.reqId === reqId)).toMatchObject({ appid: TEST_APP.appid, kind: 'url_verification', reason: 'signature_mismatch' });
    expect(await rejections(t, 'signature_mismatch')).toBe(before + 1);
    expect(await metricsText(t)).not.toMatch(/wxgate_pushes_total\{appid=""/);
  });
});

describe('accepted modes (WECHAT_MESSAGE_MODE, issue 14)', () => {
  const text = (content = 'x', msgId = uniqueMsgId(), user = openid()) => textMessage({ openid: user, content, msgId });

  /** A genuine safe-mode push's URL without encrypt_type and msg_signature: what an access log gave away. */
  function stripped(path: string): string {
    const [base, search] = path.split('?') as [string, string];
    const query = new URLSearchParams(search);
    query.delete('encrypt_type');
    query.delete('msg_signature');
    expect(query.get('signature')).toMatch(/^[0-9a-f]{40}$/); // WeChat signs the URL for plaintext too
    return `${base}?${query}`;
  }

  it('a safe account refuses the forged push: a genuine safe-mode URL stripped to plaintext, any body', async () => {
    const genuine = buildPush(TEST_APP, text('genuine'), { mode: 'aes' });
    expect((await post(genuine.path, genuine.body)).text).toBe('success');
    const before = await jobCount();
    const counted = await rejections(t, 'mode_not_accepted');
    const reqId = randomUUID();
    const forged = buildXml(text('forged', uniqueMsgId(), 'oForger'));
    const res = await post(stripped(genuine.path), forged, { 'x-request-id': reqId });
    expect(res.status).toBe(403);
    expect(t.logs.find((l) => l.reqId === reqId)).toMatchObject({ level: 40, msg: 'push rejected', layer: 'receive', appid: TEST_APP.appid, mode: 'plain', outcome: 'rejected', reason: 'mode_not_accepted', status: 403 });
    expect(await rejections(t, 'mode_not_accepted')).toBe(counted + 1);
    expect(await jobCount()).toBe(before);
  });

  it('a compat account: the stripped URL with another body is a replay, since the encrypted push recorded its nonce; WeChat\'s retries are success', async () => {
    const msgId = uniqueMsgId();
    const user = openid();
    const timestamp = String(Math.floor(Date.now() / 1000));
    const nonce = randomUUID().slice(0, 8);
    // One message object: WeChat's retries carry the same XML, CreateTime included (a second boundary must not split it).
    const message = text('genuine', msgId, user);
    const genuine = buildPush(TEST_APP, message, { mode: 'aes', timestamp, nonce });
    expect((await post(genuine.path, genuine.body, {}, compat)).text).toBe('success');
    expect((await post(genuine.path, genuine.body, {}, compat)).text).toBe('success'); // WeChat's retry
    // A retry encrypted afresh (another random, so another Encrypt and msg_signature) is the same message.
    const again = buildPush(TEST_APP, message, { mode: 'aes', timestamp, nonce, random: Buffer.alloc(16, 7) });
    expect(again.body).not.toBe(genuine.body);
    expect((await post(again.path, again.body, {}, compat)).text).toBe('success');
    const before = await jobCount(compat);
    const counted = await rejections(compat, 'nonce_replayed');
    // Another message, and another body under the genuine MsgId: both replays.
    for (const forged of [text('forged', uniqueMsgId(), 'oForger'), text('forged', msgId, user)]) {
      const reqId = randomUUID();
      const res = await post(stripped(genuine.path), buildXml(forged), { 'x-request-id': reqId }, compat);
      expect(res.status).toBe(409);
      expect(compat.logs.find((l) => l.reqId === reqId)).toMatchObject({ level: 40, msg: 'push rejected', appid: TEST_APP.appid, mode: 'plain', outcome: 'rejected', reason: 'nonce_replayed' });
    }
    expect(await rejections(compat, 'nonce_replayed')).toBe(counted + 2);
    expect(await jobCount(compat)).toBe(before);
    expect((await compat.receiver.queue.getJob(`m_${TEST_APP.appid}_${msgId}`))?.data.message.Content).toBe('genuine');
    expect((await post(genuine.path, genuine.body, {}, compat)).text).toBe('success'); // still a retry
  });

  it('each account\'s mode is in the start line; compat warns while it lasts', () => {
    expect(t.logs.find((l) => l.msg === 'receiver listening')).toMatchObject({ apps: [TEST_APP.appid], modes: { [TEST_APP.appid]: 'safe' } });
    expect(plain.logs.find((l) => l.msg === 'receiver listening')).toMatchObject({ modes: { [TEST_APP.appid]: 'plain' } });
    expect(compat.logs.find((l) => l.level === 40 && l.mode === 'compat')).toMatchObject({ layer: 'receive', appid: TEST_APP.appid });
    expect(t.logs.find((l) => l.level === 40 && l.mode === 'compat')).toBeUndefined();
  });

  it('a compat account takes plaintext too, its retries deduplicated', async () => {
    const msgId = uniqueMsgId();
    const push = buildPush(TEST_APP, text('plain', msgId));
    const before = await jobCount(compat);
    for (let i = 0; i < 3; i += 1) expect((await post(push.path, push.body, {}, compat)).text).toBe('success');
    expect(await jobCount(compat)).toBe(before + 1);
  });

  it.each<PushMode>(['aes', 'compat'])('a plain account refuses an encrypted push (%s envelope)', async (mode) => {
    const push = buildPush(TEST_APP, text(), { mode });
    const before = await jobCount(plain);
    const counted = await rejections(plain, 'mode_not_accepted');
    const reqId = randomUUID();
    const res = await post(push.path, push.body, { 'x-request-id': reqId }, plain);
    expect(res.status).toBe(403);
    expect(plain.logs.find((l) => l.reqId === reqId)).toMatchObject({ level: 40, msg: 'push rejected', appid: TEST_APP.appid, mode: 'aes', reason: 'mode_not_accepted', status: 403 });
    expect(await rejections(plain, 'mode_not_accepted')).toBe(counted + 1);
    expect(await jobCount(plain)).toBe(before);
  });
});

describe('other methods and paths', () => {
  it('405 with Allow for another method on /wechat and /wechat/:appid; 404 beside them', async () => {
    for (const path of ['/wechat', `/wechat/${TEST_APP.appid}`]) {
      const res = await fetch(t.url + path, { method: 'PUT', body: 'x' });
      expect(res.status).toBe(405);
      expect(res.headers.get('allow')).toBe('GET, HEAD, POST');
    }
    expect((await fetch(`${t.url}/wechatx`, { method: 'POST', body: 'x' })).status).toBe(404);
    expect((await fetch(`${t.url}/wechat/a/b`, { method: 'POST', body: 'x' })).status).toBe(404);
  });
});

describe('pushes (POST)', () => {
  it.each<PushMode>(['plain', 'compat', 'aes'])('%s mode: success, exactly one job with the parsed message', async (mode) => {
    const r = mode === 'plain' ? plain : t;
    const msgId = uniqueMsgId();
    const user = openid();
    const push = buildPush(TEST_APP, textMessage({ openid: user, content: '007', msgId }), { mode });
    const reqId = randomUUID();
    const res = await post(push.path, push.body, { 'x-request-id': reqId }, r);
    expect(res).toMatchObject({ status: 200, text: 'success' });
    expect(res.type).toMatch(/^text\/plain/);
    const job = await r.receiver.queue.getJob(`m_${TEST_APP.appid}_${msgId}`);
    expect(job?.data).toMatchObject({ appid: TEST_APP.appid, reqId, message: { MsgId: msgId, Content: '007', FromUserName: user } });
    const line = r.logs.find((l) => l.reqId === reqId);
    expect(line).toMatchObject({ layer: 'receive', appid: TEST_APP.appid, openid: user, msgId, outcome: 'acked', status: 200, mode: mode === 'plain' ? 'plain' : 'aes' });
    expect((line as { steps: Record<string, number> }).steps).toHaveProperty('enqueue');
  });

  it.each<PushMode>(['plain', 'aes'])('the same message delivered 3 times (%s): three success, one job', async (mode) => {
    const r = mode === 'plain' ? plain : t;
    const msgId = uniqueMsgId();
    const before = await jobCount(r);
    const push = buildPush(TEST_APP, textMessage({ openid: openid(), content: 'hi', msgId }), { mode });
    for (let i = 0; i < 3; i += 1) expect(await post(push.path, push.body, {}, r)).toMatchObject({ status: 200, text: 'success' });
    expect(await jobCount(r)).toBe(before + 1);
  });

  it('events are deduplicated by openid + CreateTime + Event + EventKey', async () => {
    const user = openid();
    const before = await jobCount();
    const msg = eventMessage({ openid: user, event: 'CLICK', eventKey: 'MENU:1' });
    for (let i = 0; i < 2; i += 1) {
      const push = buildPush(TEST_APP, msg, { mode: 'aes' }); // new nonce each time, same event
      expect((await post(push.path, push.body)).text).toBe('success');
    }
    expect(await jobCount()).toBe(before + 1);
  });
});

describe('rejections: a 4xx and no job', () => {
  /** AES-CBC over raw bytes, no padding added: lets a case end in a pad byte of 0. */
  function rawEncrypt(plain: Buffer): string {
    const key = decodeAESKey(TEST_APP.encodingAESKey);
    const c = createCipheriv('aes-256-cbc', key, key.subarray(0, 16)).setAutoPadding(false);
    return Buffer.concat([c.update(plain), c.final()]).toString('base64');
  }

  function signedAes(encrypt: string, path = '/wechat') {
    const timestamp = String(Math.floor(Date.now() / 1000));
    const nonce = randomUUID().slice(0, 8);
    const query = { signature: sha1Signature([TEST_APP.token, timestamp, nonce]), timestamp, nonce, encrypt_type: 'aes', msg_signature: sha1Signature([TEST_APP.token, timestamp, nonce, encrypt]) };
    return { path: `${path}?${new URLSearchParams(query)}`, body: buildXml({ ToUserName: 'gh_x', Encrypt: encrypt }) };
  }

  function plainSigned(body: string) {
    const timestamp = String(Math.floor(Date.now() / 1000));
    const nonce = randomUUID().slice(0, 8);
    return { path: `/wechat?${new URLSearchParams({ signature: sha1Signature([TEST_APP.token, timestamp, nonce]), timestamp, nonce })}`, body };
  }

  const text = () => textMessage({ openid: openid(), content: 'x', msgId: uniqueMsgId() });

  // The plaintext cases past the signature go to the plaintext account: the safe one refuses
  // them as mode_not_accepted first.
  const onPlain = (make: () => { path: string; body: string }) => () => ({ ...make(), r: plain });
  const cases: [string, () => { path: string; body: string; r?: TestReceiver }, number, string][] = [
    ['missing signature', () => ({ path: '/wechat?timestamp=1&nonce=2', body: buildXml(text()) }), 401, 'signature_missing'],
    ['a repeated signature', () => { const p = buildPush(TEST_APP, text()); return { path: p.path.replace(/signature=([0-9a-f]+)/, 'signature=$1&signature=$1'), body: p.body }; }, 401, 'signature_missing'],
    ['bad signature', () => { const p = buildPush(TEST_APP, text()); return { path: p.path.replace(/signature=[0-9a-f]+/, `signature=${'0'.repeat(40)}`), body: p.body }; }, 401, 'signature_mismatch'],
    ['timestamp outside the window', () => buildPush(TEST_APP, text(), { timestamp: String(Math.floor(Date.now() / 1000) - 3600) }), 401, 'timestamp_out_of_window'],
    ['bad msg_signature', () => { const p = buildPush(TEST_APP, text(), { mode: 'aes' }); return { path: p.path.replace(/msg_signature=[0-9a-f]+/, `msg_signature=${'1'.repeat(40)}`), body: p.body }; }, 401, 'signature_mismatch'],
    ['bad Base64', () => signedAes('!!!not base64!!!'), 400, 'base64_invalid'],
    ['bad padding', () => signedAes(rawEncrypt(Buffer.alloc(32, 0))), 400, 'padding_invalid'],
    ['wrong appid', () => signedAes(createMessageCipher({ appid: 'wxsomebodyelse', encodingAESKey: TEST_APP.encodingAESKey }).encrypt(buildXml(text()))), 400, 'appid_mismatch'],
    ['malformed XML', onPlain(() => plainSigned('<xml><ToUserName>a</ToUserName')), 400, 'xml_malformed'],
    ['XML with a DOCTYPE', onPlain(() => plainSigned('<!DOCTYPE xml [<!ENTITY x "y">]><xml><ToUserName>&x;</ToUserName></xml>')), 400, 'xml_doctype'],
    ['body too large', () => plainSigned(`<xml><Content>${'a'.repeat(70 * 1024)}</Content></xml>`), 413, 'body_too_large'],
    ['unknown appid', () => buildPush(TEST_APP, text(), { basePath: '/wechat/wxnosuchaccount' }), 404, 'unknown_app'],
    ['not a message', onPlain(() => plainSigned('<xml><Foo>bar</Foo></xml>')), 400, 'xml_not_message'],
  ];

  it.each(cases)('%s', async (_name, make, status, reason) => {
    const { path, body, r = t } = make();
    const before = await jobCount(r);
    const reqId = randomUUID();
    const res = await post(path, body, { 'x-request-id': reqId }, r);
    expect(res.status).toBe(status);
    expect(r.logs.find((l) => l.reqId === reqId)).toMatchObject({ layer: 'receive', outcome: 'rejected', reason, status });
    expect(await jobCount(r)).toBe(before);
  });

  it('plaintext replay: same nonce with another body is refused; same body is a retry', async () => {
    const timestamp = String(Math.floor(Date.now() / 1000));
    const nonce = randomUUID().slice(0, 8);
    const first = buildPush(TEST_APP, text(), { timestamp, nonce });
    expect((await post(first.path, first.body, {}, plain)).text).toBe('success');
    expect((await post(first.path, first.body, {}, plain)).text).toBe('success');
    const before = await jobCount(plain);
    const forged = buildPush(TEST_APP, text(), { timestamp, nonce });
    expect(forged.path).toBe(first.path.replace(/openid=[^&]+/, forged.path.match(/openid=[^&]+/)![0]));
    const reqId = randomUUID();
    const res = await post(forged.path, forged.body, { 'x-request-id': reqId }, plain);
    expect(res.status).toBe(409);
    expect(plain.logs.find((l) => l.reqId === reqId)).toMatchObject({ reason: 'nonce_replayed' });
    expect(await jobCount(plain)).toBe(before);
  });
});

describe('a URL-verification GET uses up its nonce', () => {
  // WeChat signs the GET like a POST (signature over Token, timestamp, nonce): the verification
  // URL, seen once, would carry a push with any body inside the timestamp window.
  it.each([['plain', () => plain], ['compat', () => compat]] as const)('%s: a POST on the verified URL is refused, and nothing is queued', async (_mode, r) => {
    const timestamp = String(Math.floor(Date.now() / 1000));
    const nonce = randomUUID().slice(0, 8);
    const signature = sha1Signature([TEST_APP.token, timestamp, nonce]);
    const get = await fetch(`${r().url}/wechat?${new URLSearchParams({ signature, timestamp, nonce, echostr: 'verify-me' })}`);
    expect(await get.text()).toBe('verify-me');
    const msgId = uniqueMsgId();
    const forged = buildPush(TEST_APP, textMessage({ openid: openid(), content: 'forged', msgId }), { timestamp, nonce });
    const reqId = randomUUID();
    const res = await post(forged.path, forged.body, { 'x-request-id': reqId }, r());
    expect(res.status).toBe(409);
    expect(r().logs.find((l) => l.reqId === reqId)).toMatchObject({ layer: 'receive', outcome: 'rejected', reason: 'nonce_replayed' });
    expect(await r().receiver.queue.getJob(`m_${TEST_APP.appid}_${msgId}`)).toBeUndefined();
  });
});

describe('plaintext replay with the same MsgId', () => {
  it('same nonce, same MsgId, another body: 409 and the first body stays the job', async () => {
    const timestamp = String(Math.floor(Date.now() / 1000));
    const nonce = randomUUID().slice(0, 8);
    const msgId = uniqueMsgId();
    const user = openid();
    const first = buildPush(TEST_APP, textMessage({ openid: user, content: 'genuine', msgId }), { timestamp, nonce });
    const forged = buildPush(TEST_APP, textMessage({ openid: user, content: 'forged', msgId }), { timestamp, nonce });
    expect(forged.path).toBe(first.path);
    expect((await post(first.path, first.body, {}, plain)).text).toBe('success');
    expect((await post(first.path, first.body, {}, plain)).text).toBe('success'); // WeChat's retry: same body
    const reqId = randomUUID();
    const res = await post(forged.path, forged.body, { 'x-request-id': reqId }, plain);
    expect(res.status).toBe(409);
    expect(plain.logs.find((l) => l.reqId === reqId)).toMatchObject({ layer: 'receive', outcome: 'rejected', reason: 'nonce_replayed' });
    const job = await plain.receiver.queue.getJob(`m_${TEST_APP.appid}_${msgId}`);
    expect(job?.data.message.Content).toBe('genuine');
    expect((await post(first.path, first.body, {}, plain)).text).toBe('success'); // the genuine body is still a retry
  });
});

describe('metrics', () => {
  it('counts acknowledged and rejected pushes by reason, with per-step timings', async () => {
    const text = await (await fetch(`${t.url}/metrics`)).text();
    expect(text).toMatch(new RegExp(`wxgate_pushes_total\\{appid="${TEST_APP.appid}",outcome="acked",reason=""\\} [1-9]`));
    expect(text).toMatch(new RegExp(`wxgate_pushes_total\\{appid="${TEST_APP.appid}",outcome="rejected",reason="signature_mismatch"\\} [1-9]`));
    expect(text).toMatch(/wxgate_pushes_total\{appid="wxnosuchaccount",outcome="rejected",reason="unknown_app"\} 1/);
    expect(text).toMatch(/wxgate_receive_step_seconds_count\{step="decrypt"\} [1-9]/);
    expect(text).toMatch(/wxgate_queue_jobs\{queue="inbound",state="waiting"\} [1-9]/);
  });
});

describe('health', () => {
  it('/healthz and /readyz', async () => {
    expect((await fetch(`${t.url}/healthz`)).status).toBe(200);
    const ready = await fetch(`${t.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ redis: 'up', spool: { depth: 0 }, durability: { checkedAt: expect.any(String) } });
  });
});
