import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createMockWeChat, type MockWeChat } from '../../src/dev/mock-wechat/index.js';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

type Json = Record<string, unknown>;

let mock: MockWeChat;
let url: string;
let close: () => Promise<void>;

async function start(options: Partial<Parameters<typeof createMockWeChat>[1]> = {}) {
  mock = createMockWeChat({}, { appsecrets: { wx1: 's1', wx2: 's2' }, ...options });
  ({ url, close } = await mock.listen());
}

afterEach(async () => {
  await close?.();
});

const get = async (path: string): Promise<Json> => (await (await fetch(`${url}${path}`)).json()) as Json;
const post = async (path: string, body: unknown): Promise<Json> =>
  (await (await fetch(`${url}${path}`, { method: 'POST', body: typeof body === 'string' ? body : JSON.stringify(body) })).json()) as Json;
const classic = (appid = 'wx1', secret = 's1') => get(`/cgi-bin/token?grant_type=client_credential&appid=${appid}&secret=${secret}`);
const stable = (force = false, appid = 'wx1', secret = 's1') => post('/cgi-bin/stable_token', { grant_type: 'client_credential', appid, secret, force_refresh: force });
const text = (touser = 'oUser123') => ({ touser, msgtype: 'text', text: { content: 'hello' } });
const send = (token: unknown, body: unknown = text()) => post(`/cgi-bin/message/custom/send?access_token=${token}`, body);

describe('mock WeChat: classic /cgi-bin/token', () => {
  beforeEach(() => start({ tokenTtlS: 7200, graceS: 0.3 }));

  it('issues a token with expires_in', async () => {
    const r = await classic();
    expect(typeof r.access_token).toBe('string');
    expect(r.expires_in).toBe(7200);
    expect(await send(r.access_token)).toEqual({ errcode: 0, errmsg: 'ok' });
  });

  it('refuses bad requests with WeChat errcodes', async () => {
    expect((await get('/cgi-bin/token?grant_type=password&appid=wx1&secret=s1')).errcode).toBe(40002);
    expect((await get('/cgi-bin/token?grant_type=client_credential&secret=s1')).errcode).toBe(41002);
    expect((await get('/cgi-bin/token?grant_type=client_credential&appid=wx1')).errcode).toBe(41004);
    expect((await classic('wxnope', 's1')).errcode).toBe(40013);
    expect((await classic('wx1', 'wrong')).errcode).toBe(40125);
    expect(String((await classic('wx1', 'wrong')).errmsg)).toMatch(/invalid appsecret rid: /);
    expect(mock.state.stats().tokenFetches).toMatchObject({ total: 6, classic: 6, failed: 6, issued: 0 });
  });

  it('a new token invalidates the previous one after the grace period', async () => {
    const first = String((await classic()).access_token);
    const second = String((await classic()).access_token);
    expect(second).not.toBe(first);
    expect(mock.state.tokenStatus(first)).toBe('grace');
    expect((await send(first)).errcode).toBe(0);
    await sleep(400);
    expect(mock.state.tokenStatus(first)).toBe('superseded');
    expect((await send(first)).errcode).toBe(40001);
    expect((await send(second)).errcode).toBe(0);
  });
});

describe('mock WeChat: stable /cgi-bin/stable_token', () => {
  beforeEach(() => start({ tokenTtlS: 7200, graceS: 0.3, forcedIntervalS: 0.2, forcedPerDay: 3 }));

  it('returns the same token while valid, with the remaining expires_in', async () => {
    const a = await stable();
    await sleep(1100);
    const b = await stable();
    expect(b.access_token).toBe(a.access_token);
    expect(Number(b.expires_in)).toBeLessThan(7200);
    expect(Number(b.expires_in)).toBeGreaterThan(7190);
    expect(mock.state.stats().tokenFetches).toMatchObject({ total: 2, stable: 2, issued: 1 });
  });

  it('stable and classic tokens are independent', async () => {
    const s = String((await stable()).access_token);
    const c = String((await classic()).access_token);
    expect(c).not.toBe(s);
    expect(mock.state.tokenStatus(s)).toBe('valid');
    expect(mock.state.tokenStatus(c)).toBe('valid');
  });

  it('force_refresh issues a new token; the previous one lives for the grace period', async () => {
    const a = String((await stable()).access_token);
    const b = String((await stable(true)).access_token);
    expect(b).not.toBe(a);
    expect(mock.state.tokenStatus(a)).toBe('grace');
    expect((await stable()).access_token).toBe(b);
    await sleep(350);
    expect((await send(a)).errcode).toBe(40001);
    expect(mock.state.stats().tokenFetches.forced).toBe(1);
  });

  it('limits forced refreshes: too soon → 45011, over the day → 45009', async () => {
    await stable(true);
    expect((await stable(true)).errcode).toBe(45011);
    await sleep(250);
    expect((await stable(true)).access_token).toBeDefined();
    await sleep(250);
    expect((await stable(true)).access_token).toBeDefined();
    await sleep(250);
    expect((await stable(true)).errcode).toBe(45009);
  });

  it('refuses a bad secret, empty and malformed bodies', async () => {
    expect((await stable(false, 'wx1', 'bad')).errcode).toBe(40125);
    expect((await post('/cgi-bin/stable_token', '')).errcode).toBe(44002);
    expect((await post('/cgi-bin/stable_token', '{nope')).errcode).toBe(47001);
    expect((await post('/cgi-bin/stable_token', { grant_type: 'x', appid: 'wx1', secret: 's1' })).errcode).toBe(40002);
  });
});

describe('mock WeChat: expiry', () => {
  it('tokens expire after tokenTtlS (fractional), then 40001; a normal stable call renews', async () => {
    await start({ tokenTtlS: 0.3 });
    const a = await stable();
    expect(a.expires_in).toBe(0.3);
    await sleep(350);
    expect(mock.state.tokenStatus(String(a.access_token))).toBe('expired');
    expect((await send(a.access_token)).errcode).toBe(40001);
    const b = await stable();
    expect(b.access_token).not.toBe(a.access_token);
    expect((await send(b.access_token)).errcode).toBe(0);
  });

  it('a normal stable call in the renew window returns a new token; the old one lives to its end', async () => {
    await start({ tokenTtlS: 1, renewWindowS: 0.6 });
    const a = String((await stable()).access_token);
    await sleep(500);
    const b = String((await stable()).access_token);
    expect(b).not.toBe(a);
    expect(mock.state.tokenStatus(a)).toBe('valid');
    expect((await send(a)).errcode).toBe(0);
  });

  it('POST /__mock/expire expires current tokens (all, or one appid)', async () => {
    await start();
    const a = String((await stable()).access_token);
    const b = String((await stable(false, 'wx2', 's2')).access_token);
    expect(await post('/__mock/expire', { appid: 'wx1' })).toMatchObject({ ok: true, expired: 1 });
    expect((await send(a)).errcode).toBe(40001);
    expect((await send(b)).errcode).toBe(0);
    await post('/__mock/expire', {});
    expect((await send(b)).errcode).toBe(40001);
  });

  it('tokenTtlS is settable per test (state.settings and POST /__mock/config)', async () => {
    await start();
    mock.state.settings.tokenTtlS = 5;
    expect((await stable()).expires_in).toBe(5);
    expect(await post('/__mock/config', { tokenTtlS: 9, graceS: 1 })).toMatchObject({ tokenTtlS: 9, graceS: 1 });
    expect((await classic()).expires_in).toBe(9);
    expect(String((await post('/__mock/config', { tokenTtlS: -1 })).error)).toMatch(/tokenTtlS/);
  });
});

describe('mock WeChat: message APIs', () => {
  let token: string;
  beforeEach(async () => {
    await start();
    token = String((await stable()).access_token);
  });

  it('validates custom/send like WeChat', async () => {
    expect(await send(token)).toEqual({ errcode: 0, errmsg: 'ok' });
    expect((await post('/cgi-bin/message/custom/send', text())).errcode).toBe(41001);
    expect((await send('not-a-token')).errcode).toBe(40001);
    expect((await send(token, '')).errcode).toBe(44002);
    expect((await send(token, '{"touser":')).errcode).toBe(47001);
    expect((await send(token, { msgtype: 'text', text: { content: 'x' } })).errcode).toBe(40003);
    expect((await send(token, { ...text(''), touser: '' })).errcode).toBe(40003);
    expect((await send(token, text('o bad/../openid'))).errcode).toBe(40003);
    expect((await send(token, { touser: 'oUser123', msgtype: 'fax', fax: {} })).errcode).toBe(47001);
    expect((await send(token, { touser: 'oUser123', msgtype: 'text', text: { content: '中'.repeat(683) } })).errcode).toBe(45002); // 2,049 bytes
    expect((await send(token, { touser: 'oUser123', msgtype: 'text', text: { content: 'a'.repeat(2048) } })).errcode).toBe(0);
    expect((await send(token, { touser: 'oUser123', msgtype: 'image' })).errcode).toBe(47001);
    expect((await send(token, { touser: 'oUser123', msgtype: 'image', image: { media_id: 'm1' } })).errcode).toBe(0);
    for (const msgtype of ['voice', 'video', 'music', 'news', 'mpnews', 'mpnewsarticle', 'msgmenu', 'wxcard', 'miniprogrampage']) {
      expect((await send(token, { touser: 'oUser123', msgtype, [msgtype]: {} })).errcode).toBe(0);
    }
    const stats = mock.state.stats().sends;
    expect(stats.byErrcode).toMatchObject({ '0': 12, '41001': 1, '40001': 1, '44002': 1, '47001': 3, '40003': 3, '45002': 1 });
    expect(mock.state.sent({ path: '/cgi-bin/message/custom/send' })).toHaveLength(12);
  });

  it('typing, template and getcallbackip', async () => {
    expect(await post(`/cgi-bin/message/custom/typing?access_token=${token}`, { touser: 'oUser123', command: 'Typing' })).toEqual({ errcode: 0, errmsg: 'ok' });
    expect((await post(`/cgi-bin/message/custom/typing?access_token=${token}`, { touser: 'oUser123', command: 'Dance' })).errcode).toBe(47001);
    const t = await post(`/cgi-bin/message/template/send?access_token=${token}`, { touser: 'oUser123', template_id: 'tpl1', data: { first: { value: 'x' } } });
    expect(t).toMatchObject({ errcode: 0, errmsg: 'ok' });
    expect(typeof t.msgid).toBe('number');
    expect((await post(`/cgi-bin/message/template/send?access_token=${token}`, { touser: 'oUser123', data: {} })).errcode).toBe(40037);
    const ips = await get(`/cgi-bin/getcallbackip?access_token=${token}`);
    expect(Array.isArray(ips.ip_list)).toBe(true);
    expect((await get('/cgi-bin/getcallbackip?access_token=nope')).errcode).toBe(40001);
  });

  it('GET /__mock/sent lists accepted sends with path, appid, body, at; filters work', async () => {
    await send(token, text('oAlice'));
    await send(token, text('oBob'));
    await send(token, { touser: 'oBob', msgtype: 'bad' });
    const all = (await (await fetch(`${url}/__mock/sent`)).json()) as Json[];
    expect(all).toHaveLength(2);
    expect(all[0]).toMatchObject({ path: '/cgi-bin/message/custom/send', appid: 'wx1', body: text('oAlice') });
    expect(typeof all[0]!.at).toBe('number');
    const bob = (await (await fetch(`${url}/__mock/sent?touser=oBob&path=send`)).json()) as Json[];
    expect(bob).toHaveLength(1);
  });

  it('keeps only the last maxRecorded sends, counters keep counting', async () => {
    await close();
    await start({ maxRecorded: 3 });
    token = String((await stable()).access_token);
    for (let i = 0; i < 5; i++) await send(token, text(`oUser${i}`));
    const sent = mock.state.sent();
    expect(sent.map((s) => (s.body as { touser: string }).touser)).toEqual(['oUser2', 'oUser3', 'oUser4']);
    expect(mock.state.stats()).toMatchObject({ sends: { byErrcode: { '0': 5 } }, sent: { recorded: 3, evicted: 2 } });
  });
});

describe('mock WeChat: faults and control API', () => {
  let token: string;
  beforeEach(async () => {
    await start();
    token = String((await stable()).access_token);
  });

  it('errcode fault for the next n matching calls', async () => {
    expect(await post('/__mock/faults', { path: 'send', errcode: 45015, count: 2 })).toMatchObject({ ok: true });
    expect((await send(token)).errcode).toBe(45015);
    expect((await send(token)).errcode).toBe(45015);
    expect((await send(token)).errcode).toBe(0);
    expect(mock.state.stats().faults.applied).toBe(2);
  });

  it('openid-scoped and rate faults', async () => {
    await post('/__mock/faults', [{ path: 'send', openid: 'oVictim', errcode: 45047 }, { path: 'template', rate: 0, errcode: -1 }]);
    expect((await send(token, text('oVictim'))).errcode).toBe(45047);
    expect((await send(token, text('oOther'))).errcode).toBe(0);
    const t = await post(`/cgi-bin/message/template/send?access_token=${token}`, { touser: 'oA', template_id: 't', data: {} });
    expect(t.errcode).toBe(0);
    await post('/__mock/faults', { path: 'send', rate: 1, errcode: -1, count: 1 });
    expect((await send(token, text('oOther'))).errcode).toBe(-1);
  });

  it('latency, drop and HTTP status faults', async () => {
    await post('/__mock/faults', { path: 'send', latencyMs: 150, count: 1 });
    const t0 = Date.now();
    expect((await send(token)).errcode).toBe(0);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(140);
    await post('/__mock/faults', { path: 'send', drop: true, count: 1 });
    await expect(fetch(`${url}/cgi-bin/message/custom/send?access_token=${token}`, { method: 'POST', body: JSON.stringify(text()) })).rejects.toThrow();
    await post('/__mock/faults', { path: 'send', status: 502, count: 1 });
    const res = await fetch(`${url}/cgi-bin/message/custom/send?access_token=${token}`, { method: 'POST', body: JSON.stringify(text()) });
    expect(res.status).toBe(502);
    await res.text();
    expect(mock.state.stats().sends.byErrcode).toMatchObject({ dropped: 1, http_502: 1 });
  });

  it('token endpoint faults are counted as failed fetches; appid-scoped faults', async () => {
    await post('/__mock/faults', { path: 'stable_token', appid: 'wx2', errcode: 45009 });
    expect((await stable(false, 'wx2', 's2')).errcode).toBe(45009);
    expect((await stable()).access_token).toBe(token);
    expect(mock.state.stats().tokenFetches).toMatchObject({ failed: 1, byAppid: { wx1: 2, wx2: 1 } });
  });

  it('rejects malformed faults; lists and clears them', async () => {
    const bad = await fetch(`${url}/__mock/faults`, { method: 'POST', body: JSON.stringify({ errcode: 'x' }) });
    expect(bad.status).toBe(400);
    await bad.text();
    await post('/__mock/faults', { errcode: -1 });
    expect(await get('/__mock/faults')).toHaveLength(1);
    await fetch(`${url}/__mock/faults`, { method: 'DELETE' });
    expect(await get('/__mock/faults')).toHaveLength(0);
  });

  it('POST /__mock/reset forgets tokens, sends, counters and faults', async () => {
    await send(token);
    await post('/__mock/faults', { errcode: -1 });
    expect(await post('/__mock/reset', {})).toEqual({ ok: true });
    expect((await send(token)).errcode).toBe(40001);
    const stats = await get('/__mock/stats');
    expect(stats).toMatchObject({ tokenFetches: { total: 0 }, sends: { total: 1, byErrcode: { '40001': 1 } } });
    expect(await get('/__mock/sent')).toEqual([]);
  });
});
