import { describe, expect, it } from 'vitest';
import { isRetryable, WxgateError } from '../../src/errors.js';
import {
  classifyErrcode,
  PermanentApiError,
  TokenStaleError,
  toApiError,
  TransientApiError,
  WeChatApiError,
} from '../../src/wechat-api/errcodes.js';

const SEND = '/cgi-bin/message/custom/send';

describe('classifyErrcode', () => {
  it.each([
    [0, 'ok'],
    [40001, 'token_stale'],
    [40014, 'token_stale'],
    [42001, 'token_stale'],
    [-1, 'transient'],
    [45009, 'transient'],
    [45011, 'transient'],
    [45015, 'permanent'],
    [45047, 'permanent'],
    [40003, 'permanent'],
    [43004, 'permanent'],
    [44002, 'permanent'],
    [47001, 'permanent'],
    [48001, 'permanent'],
    [40125, 'permanent'],
    [40164, 'permanent'],
    [99999, 'permanent'],
  ])('errcode %i on a send is %s', (errcode, cls) => {
    expect(classifyErrcode(errcode, { path: SEND })).toBe(cls);
  });

  it('reads some codes differently on the token endpoints', () => {
    expect(classifyErrcode(45009, { path: '/cgi-bin/token' })).toBe('quota');
    expect(classifyErrcode(45009, { path: '/cgi-bin/stable_token' })).toBe('quota');
    // 40001 on /cgi-bin/token: the AppSecret is wrong, not the access_token.
    expect(classifyErrcode(40001, { path: '/cgi-bin/token?grant_type=client_credential' })).toBe('permanent');
    expect(classifyErrcode(-1, { path: '/cgi-bin/stable_token' })).toBe('transient');
  });
});

describe('toApiError', () => {
  it('builds typed errors with code wechat_<errcode> and the right retry decision', () => {
    const stale = toApiError(42001, 'access_token expired', SEND);
    expect(stale).toBeInstanceOf(TokenStaleError);
    expect(stale).toBeInstanceOf(WeChatApiError);
    expect(stale).toBeInstanceOf(WxgateError);
    expect(stale).toMatchObject({ code: 'wechat_42001', errcode: 42001, errmsg: 'access_token expired', retryable: true, kind: 'token_stale', path: SEND });

    const busy = toApiError(-1, 'system error', SEND);
    expect(busy).toBeInstanceOf(TransientApiError);
    expect(isRetryable(busy)).toBe(true);

    const closed = toApiError(45015, 'response out of time limit', SEND);
    expect(closed).toBeInstanceOf(PermanentApiError);
    expect(closed.code).toBe('wechat_45015');
    expect(isRetryable(closed)).toBe(false);

    const quota = toApiError(45009, 'reach max api daily quota limit', '/cgi-bin/stable_token');
    expect(quota).toBeInstanceOf(TransientApiError);
    expect(quota.kind).toBe('quota');

    expect(toApiError(12345, 'who knows', SEND)).toBeInstanceOf(PermanentApiError);
  });

  it('never puts a query string (access_token) into the error', () => {
    const e = toApiError(40001, 'invalid credential', `${SEND}?access_token=SECRET_TOKEN`);
    expect(e.path).toBe(SEND);
    expect(e.message).not.toContain('SECRET_TOKEN');
  });

  it('network and HTTP failures have their own codes', () => {
    const net = new TransientApiError({ code: 'wechat_network', errmsg: 'ECONNRESET', path: SEND, kind: 'network' });
    expect(net).toMatchObject({ code: 'wechat_network', retryable: true, errcode: undefined });
    const http = new TransientApiError({ code: 'wechat_http_5xx', errmsg: 'HTTP 502', path: SEND, kind: 'http' });
    expect(http.code).toBe('wechat_http_5xx');
  });
});
