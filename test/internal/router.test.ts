import type { Server } from 'node:http';
import Koa from 'koa';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import { createBearerCheck } from '../../src/internal/bearer.js';
import { createInternalRouter } from '../../src/internal/router.js';
import { createWeChatClient } from '../../src/wechat-api/client.js';
import type { TokenKeeper } from '../../src/wechat-api/token-keeper.js';
import { app, startHarness, type TokenHarness } from '../fixtures/token/harness.js';

const APPID = 'wxinternal0001';
const BEARER = 'internal-test-bearer-0123456789abcdef';

let h: TokenHarness;
let keeper: TokenKeeper;
let server: Server;
let base: string;

beforeEach(async () => {
  h = await startHarness({}, 'internal');
  keeper = h.keeper([app(APPID, 'sec', 'classic')]);
  const client = createWeChatClient({ tokenKeeper: keeper, logger: h.logs.logger }, { apiBase: h.url });
  const router = createInternalRouter({ keeper, client, logger: h.logs.logger }, { internalToken: BEARER, bodyLimitBytes: 1024 });
  const koa = new Koa();
  koa.use(router.routes()).use(router.allowedMethods());
  server = koa.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}/internal/v1`;
});

afterEach(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
  await h.close();
});

async function call(path: string, { method = 'GET', body, auth = `Bearer ${BEARER}` }: { method?: string; body?: string; auth?: string | null } = {}) {
  const res = await fetch(`${base}${path}`, {
    method,
    body,
    headers: { ...(auth === null ? {} : { authorization: auth }), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
  });
  return { status: res.status, headers: res.headers, json: (await res.json().catch(() => null)) as Record<string, unknown> | null };
}

describe('internal API: bearer', () => {
  it.each([
    ['missing', null],
    ['wrong', 'Bearer internal-test-bearer-0123456789abcdeX'],
    ['shorter', 'Bearer internal'],
    ['not bearer', `Basic ${BEARER}`],
  ])('%s bearer → 401', async (_name, auth) => {
    const r = await call(`/apps/${APPID}/access-token`, { auth });
    expect(r.status).toBe(401);
    expect(r.json).toMatchObject({ error: 'unauthorized' });
    expect(r.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect(h.mock.state.stats().tokenFetches.total).toBe(0);
  });

  it('every route requires it', async () => {
    expect((await call(`/apps/${APPID}/access-token/invalidate`, { method: 'POST', body: '{}', auth: null })).status).toBe(401);
    expect((await call(`/apps/${APPID}/messages/custom`, { method: 'POST', body: '{}', auth: 'Bearer nope' })).status).toBe(401);
  });

  it('the check is a constant-time comparison after a length check', () => {
    const check = createBearerCheck('abc');
    expect(check('Bearer abc')).toBe(true);
    expect(check('bearer abc')).toBe(true);
    expect(check('Bearer abcd')).toBe(false);
    expect(check('Bearer ab')).toBe(false);
    expect(check(undefined)).toBe(false);
    expect(() => createInternalRouter({ keeper, client: createWeChatClient({ logger: h.logs.logger }, { apiBase: h.url }), logger: h.logs.logger }, { internalToken: undefined })).toThrow(ConfigError);
  });
});

describe('internal API: access token', () => {
  it('GET access-token → {access_token, expires_at (epoch s)}', async () => {
    const r = await call(`/apps/${APPID}/access-token`);
    expect(r.status).toBe(200);
    expect(r.json!.access_token).toBe(h.mock.state.currentToken(APPID, 'classic'));
    expect(Number(r.json!.expires_at)).toBeGreaterThan(Date.now() / 1000 + 7000);
    expect(Number(r.json!.expires_at)).toBeLessThan(Date.now() / 1000 + 7300);
    // The token is never logged, even by the internal layer.
    expect(h.logs.raw.join('')).not.toContain(String(r.json!.access_token));
    expect(h.logs.lines.find((l) => l.layer === 'internal')).toMatchObject({ appid: APPID, route: 'access-token', status: 200 });
  });

  it('unknown appid → 404', async () => {
    const r = await call('/apps/wxnobody/access-token');
    expect(r.status).toBe(404);
    expect(r.json).toMatchObject({ error: 'unknown_app' });
  });

  it('invalidate: compare-and-swap — fifty callers with the same stale token cause one fetch', async () => {
    const stale = String((await call(`/apps/${APPID}/access-token`)).json!.access_token);
    const results = await Promise.all(
      Array.from({ length: 50 }, () => call(`/apps/${APPID}/access-token/invalidate`, { method: 'POST', body: JSON.stringify({ stale_token: stale }) })),
    );
    const tokens = new Set(results.map((r) => r.json!.access_token));
    expect(results.every((r) => r.status === 200)).toBe(true);
    expect(tokens.size).toBe(1);
    expect(tokens.has(stale)).toBe(false);
    expect(h.mock.state.stats().tokenFetches.total).toBe(2);
    // A token that is not the stored one: nothing is fetched, the current one comes back.
    const again = await call(`/apps/${APPID}/access-token/invalidate`, { method: 'POST', body: JSON.stringify({ stale_token: 'some-older-token' }) });
    expect(again.json!.access_token).toBe([...tokens][0]);
    expect(h.mock.state.stats().tokenFetches.total).toBe(2);
  });

  it('invalidate: bad JSON, missing stale_token, too large → 400 / 400 / 413', async () => {
    expect((await call(`/apps/${APPID}/access-token/invalidate`, { method: 'POST', body: '{nope' })).status).toBe(400);
    const missing = await call(`/apps/${APPID}/access-token/invalidate`, { method: 'POST', body: '{}' });
    expect(missing.status).toBe(400);
    expect(missing.json).toMatchObject({ error: 'bad_request' });
    expect((await call(`/apps/${APPID}/access-token/invalidate`, { method: 'POST', body: JSON.stringify({ stale_token: 'x'.repeat(2000) }) })).status).toBe(413);
  });
});

describe('internal API: custom messages', () => {
  it('sends through the client and returns WeChat\'s JSON', async () => {
    const payload = { touser: 'oInternal01', msgtype: 'text', text: { content: 'from a business server' } };
    const r = await call(`/apps/${APPID}/messages/custom`, { method: 'POST', body: JSON.stringify(payload) });
    expect(r.status).toBe(200);
    expect(r.json).toEqual({ errcode: 0, errmsg: 'ok' });
    expect(h.mock.state.sent()[0]).toMatchObject({ appid: APPID, body: payload });
  });

  it('passes WeChat\'s refusal on; network failures are 502', async () => {
    const refused = await call(`/apps/${APPID}/messages/custom`, { method: 'POST', body: JSON.stringify({ touser: 'oX', msgtype: 'fax' }) });
    expect(refused.status).toBe(200);
    expect(refused.json).toMatchObject({ errcode: 47001 });
    h.mock.state.faults.add({ path: 'send', drop: true, count: 1 });
    const dropped = await call(`/apps/${APPID}/messages/custom`, { method: 'POST', body: JSON.stringify({ touser: 'oX', msgtype: 'text', text: { content: 'x' } }) });
    expect(dropped.status).toBe(502);
    expect(dropped.json).toMatchObject({ error: 'wechat_network' });
  });
});
