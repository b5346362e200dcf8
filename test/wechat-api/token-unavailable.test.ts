// Which failures mean "no access_token can be had now" (the send waits, issue 14) and which keep
// their own class: decided from the error's class, in one place (toTokenUnavailable).
import { describe, expect, it } from 'vitest';
import { isRetryable, RequestError, WxgateError } from '../../src/errors.js';
import { PermanentApiError, toApiError, TransientApiError } from '../../src/wechat-api/errcodes.js';
import { backoffError } from '../../src/wechat-api/token-failure.js';
import { NoAppsecretError, TokenUnavailableError, toTokenUnavailable } from '../../src/wechat-api/token-unavailable.js';

const APPID = 'wxunavail00001';

describe('toTokenUnavailable', () => {
  it.each<[string, unknown, string, number | undefined]>([
    ['40164 on stable_token (IP not whitelisted)', toApiError(40164, 'invalid ip', '/cgi-bin/stable_token'), 'wechat_40164', 40164],
    ['40125 on token (bad appsecret)', toApiError(40125, 'invalid appsecret', '/cgi-bin/token'), 'wechat_40125', 40125],
    ['45009 on stable_token (daily quota)', toApiError(45009, 'quota', '/cgi-bin/stable_token'), 'wechat_45009', 45009],
    ['-1 on stable_token (busy)', toApiError(-1, 'system error', '/cgi-bin/stable_token'), 'wechat_-1', -1],
    ['a network error', new TransientApiError({ code: 'wechat_network', errmsg: 'ECONNRESET', path: '/cgi-bin/stable_token', kind: 'network' }), 'wechat_network', undefined],
    ['HTTP 5xx', new TransientApiError({ code: 'wechat_http_5xx', errmsg: 'HTTP 502', path: '/cgi-bin/stable_token', kind: 'http' }), 'wechat_http_5xx', undefined],
    ['another process did not fetch in time', new TransientApiError({ code: 'token_wait_timeout', errmsg: 'waited', path: '', kind: 'transient' }), 'token_wait_timeout', undefined],
    ['no appsecret here', new NoAppsecretError(APPID), 'token_no_appsecret', undefined],
    ['the keeper backing off after 40164', backoffError({ code: 'wechat_40164', errcode: 40164, errmsg: 'invalid ip', path: '/cgi-bin/stable_token', failures: 2, until: Date.now() + 1000 }), 'wechat_40164', 40164],
    ['the keeper backing off after a network error', backoffError({ code: 'wechat_network', errmsg: 'timeout', path: '/cgi-bin/stable_token', failures: 1, until: Date.now() + 1000 }), 'wechat_network', undefined],
  ])('%s → token_unavailable, retryable, 503', (_name, err, reason, errcode) => {
    const u = toTokenUnavailable(err, APPID);
    expect(u).toBeInstanceOf(TokenUnavailableError);
    expect(u).toMatchObject({ code: 'token_unavailable', status: 503, retryable: true, expose: true, appid: APPID, reason, errcode });
    expect(u!.cause).toBe(err);
    expect(isRetryable(u)).toBe(true);
    expect(u!.hint.length).toBeGreaterThan(0);
  });

  it('the hint says what to do', () => {
    expect(toTokenUnavailable(toApiError(40164, 'x', '/cgi-bin/stable_token'), APPID)!.hint).toContain('IP白名单');
    expect(toTokenUnavailable(toApiError(40125, 'x', '/cgi-bin/stable_token'), APPID)!.hint).toContain('WECHAT_APPSECRET');
    expect(toTokenUnavailable(toApiError(45009, 'x', '/cgi-bin/stable_token'), APPID)!.hint).toContain('quota');
    expect(toTokenUnavailable(new NoAppsecretError(APPID), APPID)!.hint).toContain('WECHAT_APPSECRET');
  });

  it.each<[string, unknown]>([
    ['an unknown appid', new RequestError('unknown_app', 'not configured')],
    ['Redis failing', new Error('Connection is closed.')],
    ['another wxgate error', new WxgateError('something_else', 'x')],
  ])('%s keeps its own class', (_name, err) => {
    expect(toTokenUnavailable(err, APPID)).toBeUndefined();
  });

  it('is idempotent', () => {
    const u = toTokenUnavailable(new PermanentApiError({ errcode: 40164, path: '/cgi-bin/stable_token' }), APPID)!;
    expect(toTokenUnavailable(u, APPID)).toBe(u);
  });
});
