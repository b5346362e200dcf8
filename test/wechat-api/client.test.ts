import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { WxgateError } from '../../src/errors.js';
import { createWeChatClient, type WeChatClient } from '../../src/wechat-api/client.js';
import { PermanentApiError, TokenStaleError, TransientApiError } from '../../src/wechat-api/errcodes.js';
import { createTokenAvailability } from '../../src/wechat-api/token-availability.js';
import { TokenUnavailableError } from '../../src/wechat-api/token-unavailable.js';
import { app, sleep, startHarness, type TokenHarness } from '../fixtures/token/harness.js';

const APPID = 'wxclient000001';
const text = (touser = 'oClientUser1') => ({ touser, msgtype: 'text', text: { content: 'hi' } });

let h: TokenHarness;
let client: WeChatClient;

beforeEach(async () => {
  h = await startHarness({}, 'client');
  const keeper = h.keeper([app(APPID, 'sec')]);
  client = createWeChatClient({ tokenKeeper: keeper, logger: h.logs.logger }, { apiBase: h.url, timeoutMs: 1000 });
});

afterEach(async () => {
  await h.close();
});

const sendLines = () => h.logs.lines.filter((l) => l.layer === 'send');

describe('WeChat client', () => {
  it('sends with the shared token and logs one line per call, without the token', async () => {
    expect(await client.sendCustom(APPID, text())).toEqual({ errcode: 0, errmsg: 'ok' });
    const sent = h.mock.state.sent();
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({ appid: APPID, body: text() });
    const [line] = sendLines();
    expect(line).toMatchObject({ layer: 'send', appid: APPID, openid: 'oClientUser1', path: '/cgi-bin/message/custom/send', errcode: 0, attempt: 1 });
    expect(typeof line!.ms).toBe('number');
    const token = h.mock.state.currentToken(APPID)!;
    expect(h.logs.raw.join('')).not.toContain(token);
    expect(h.logs.raw.join('')).not.toContain('access_token=');
  });

  it('a stale token is invalidated and the call retried once with the new token', async () => {
    await client.sendCustom(APPID, text());
    h.mock.state.expire(APPID);
    expect(await client.sendCustom(APPID, text())).toMatchObject({ errcode: 0 });
    expect(sendLines().map((l) => [l.errcode, l.attempt])).toEqual([
      [0, 1],
      [40001, 1],
      [0, 2],
    ]);
    expect(h.mock.state.stats().tokenFetches.total).toBe(2);
  });

  it('stale twice: gives up with TokenStaleError after one retry', async () => {
    await client.sendCustom(APPID, text());
    await h.mock.state.faults.add({ path: 'send', errcode: 40001, count: 2 });
    const err = await client.sendCustom(APPID, text()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TokenStaleError);
    expect((err as TokenStaleError).code).toBe('wechat_40001');
    expect(sendLines().filter((l) => l.errcode === 40001)).toHaveLength(2);
  });

  it('permanent and transient errcodes become typed errors, not retried here', async () => {
    h.mock.state.faults.add([
      { path: 'send', errcode: 45015, count: 1 },
      { path: 'send', errcode: -1, count: 1 },
    ]);
    const permanent = await client.sendCustom(APPID, text()).catch((e: unknown) => e);
    expect(permanent).toBeInstanceOf(PermanentApiError);
    expect(permanent).toMatchObject({ code: 'wechat_45015', retryable: false });
    const transient = await client.sendCustom(APPID, text()).catch((e: unknown) => e);
    expect(transient).toBeInstanceOf(TransientApiError);
    expect(transient).toMatchObject({ code: 'wechat_-1', retryable: true });
    const invalid = await client.sendCustom(APPID, { touser: '', msgtype: 'text', text: { content: 'x' } }).catch((e: unknown) => e);
    expect(invalid).toMatchObject({ code: 'wechat_40003', errcode: 40003 });
  });

  it('network errors, timeouts and 5xx are TransientApiError wechat_network / wechat_http_5xx', async () => {
    await client.sendCustom(APPID, text());
    h.mock.state.faults.add({ path: 'send', drop: true, count: 1 });
    expect(await client.sendCustom(APPID, text()).catch((e: unknown) => e)).toMatchObject({ code: 'wechat_network', retryable: true });
    h.mock.state.faults.add({ path: 'send', status: 503, count: 1 });
    expect(await client.sendCustom(APPID, text()).catch((e: unknown) => e)).toMatchObject({ code: 'wechat_http_5xx', retryable: true });
    h.mock.state.faults.add({ path: 'send', latencyMs: 1500, count: 1 });
    const slow = await client.sendCustom(APPID, text()).catch((e: unknown) => e);
    expect(slow).toBeInstanceOf(TransientApiError);
    expect((slow as TransientApiError).code).toBe('wechat_network');
    expect((slow as TransientApiError).message).not.toContain('access_token');
  });

  it('typing, template and raw calls', async () => {
    expect(await client.sendTyping(APPID, 'oClientUser1')).toMatchObject({ errcode: 0 });
    expect(await client.sendTyping(APPID, 'oClientUser1', 'CancelTyping')).toMatchObject({ errcode: 0 });
    const t = await client.sendTemplate(APPID, { touser: 'oClientUser1', template_id: 'tpl', data: { first: { value: 'x' } } });
    expect(typeof t.msgid).toBe('number');
    const ips = await client.call<{ ip_list: string[] }>(APPID, '/cgi-bin/getcallbackip');
    expect(ips.ip_list.length).toBeGreaterThan(0);
    expect(h.mock.state.sent().map((s) => s.path)).toEqual(['/cgi-bin/message/custom/typing', '/cgi-bin/message/custom/typing', '/cgi-bin/message/template/send']);
  });

  it('no token to be had (40164 on the fetch, then on the replacement): TokenUnavailableError, WeChat\'s send never called', async () => {
    const availability = createTokenAvailability({ logger: h.logs.logger });
    const keeper = h.keeper([app(APPID, 'sec')], { backoffBaseMs: 50, backoffMaxMs: 100 }, h.logs.logger);
    const c = createWeChatClient({ tokenKeeper: keeper, logger: h.logs.logger, availability }, { apiBase: h.url });
    h.mock.state.faults.add({ path: 'stable_token', errcode: 40164, errmsg: 'invalid ip' });
    const err = await c.sendCustom(APPID, text()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TokenUnavailableError);
    expect(err).toMatchObject({ code: 'token_unavailable', reason: 'wechat_40164', errcode: 40164, retryable: true });
    expect(availability.view(APPID)).toMatchObject({ state: 'unavailable', errcode: 40164 });
    expect(h.mock.state.stats().sends.total).toBe(0);

    h.mock.state.faults.clear();
    await sleep(150); // the keeper's backoff
    expect(await c.sendCustom(APPID, text())).toMatchObject({ errcode: 0 });
    expect(availability.view(APPID).state).toBe('available');

    // The token WeChat rejects (40001) cannot be replaced: the same class, from invalidate().
    h.mock.state.expire(APPID);
    h.mock.state.faults.add({ path: 'stable_token', drop: true });
    expect(await c.sendCustom(APPID, text()).catch((e: unknown) => e)).toMatchObject({ code: 'token_unavailable', reason: 'wechat_network' });
    expect(availability.view(APPID).state).toBe('unavailable');
  });

  it('without a keeper, calls that need a token fail with token_keeper_missing', async () => {
    const bare = createWeChatClient({ logger: h.logs.logger }, { apiBase: h.url });
    const err = await bare.sendCustom(APPID, text()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WxgateError);
    expect((err as WxgateError).code).toBe('token_keeper_missing');
  });
});
