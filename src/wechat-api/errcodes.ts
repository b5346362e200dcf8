// The one table that says what a WeChat errcode means for us, and the typed errors built
// from it. Callers decide retry versus give-up from the error's class (src/errors.ts
// isRetryable), never from errcode numbers scattered through the code.
// Codes: https://developers.weixin.qq.com/doc/offiaccount/Getting_Started/Global_Return_Code.html
import { WxgateError } from '../errors.js';

/**
 * ok: success. token_stale: the access_token is unknown, expired or superseded → invalidate it
 * and retry once. transient: try again later (backoff). quota: a daily limit is reached (token
 * fetches); retrying today is pointless but the next day is fine. permanent: this request will
 * never succeed as it is.
 */
export type ErrcodeClass = 'ok' | 'token_stale' | 'transient' | 'quota' | 'permanent';

interface Entry {
  readonly errmsg: string;
  readonly class: ErrcodeClass;
  /** Meaning on the token endpoints, where some codes say something else. */
  readonly onTokenPath?: ErrcodeClass;
}

/** Known errcodes. Anything not listed is `permanent`: retrying an unknown refusal only burns quota. */
export const ERRCODES: Readonly<Record<number, Entry>> = Object.freeze({
  0: { errmsg: 'ok', class: 'ok' },
  [-1]: { errmsg: 'system error (busy), retry later', class: 'transient' },
  // On /cgi-bin/token 40001 means "AppSecret wrong or not this account's": no token will fix that.
  40001: { errmsg: 'invalid credential / access_token invalid or not latest', class: 'token_stale', onTokenPath: 'permanent' },
  40014: { errmsg: 'invalid access_token', class: 'token_stale' },
  42001: { errmsg: 'access_token expired', class: 'token_stale' },
  41001: { errmsg: 'access_token missing', class: 'token_stale' },
  40002: { errmsg: 'invalid grant_type', class: 'permanent' },
  40003: { errmsg: 'invalid openid', class: 'permanent' },
  40008: { errmsg: 'invalid message type', class: 'permanent' },
  40013: { errmsg: 'invalid appid', class: 'permanent' },
  40037: { errmsg: 'invalid template_id', class: 'permanent' },
  40125: { errmsg: 'invalid appsecret', class: 'permanent' },
  40164: { errmsg: 'caller IP not in the whitelist', class: 'permanent' },
  41002: { errmsg: 'appid missing', class: 'permanent' },
  41004: { errmsg: 'appsecret missing', class: 'permanent' },
  43004: { errmsg: 'require subscribe (user does not follow the account)', class: 'permanent' },
  43101: { errmsg: 'user refused to accept the message', class: 'permanent' },
  44002: { errmsg: 'empty post data', class: 'permanent' },
  45002: { errmsg: 'content size out of limit', class: 'permanent' },
  // 45009 on a token endpoint is the daily fetch quota; on other APIs it is the API's call
  // frequency limit, which passes.
  45009: { errmsg: 'reach max api daily quota limit', class: 'transient', onTokenPath: 'quota' },
  // Too frequent (stable_token force_refresh less than 30 s apart, or per-minute limits).
  45011: { errmsg: 'api minute-quota reach limit, slow down', class: 'transient' },
  45015: { errmsg: 'response out of time limit (48 h customer-service window closed)', class: 'permanent' },
  45047: { errmsg: 'out of response count limit', class: 'permanent' },
  47001: { errmsg: 'data format error', class: 'permanent' },
  48001: { errmsg: 'api unauthorized', class: 'permanent' },
  50001: { errmsg: 'user unauthorized', class: 'permanent' },
  50002: { errmsg: 'user limited', class: 'permanent' },
});

const TOKEN_PATHS = new Set(['/cgi-bin/token', '/cgi-bin/stable_token']);

export function isTokenPath(path: string): boolean {
  return TOKEN_PATHS.has(path.split('?')[0]!);
}

export function classifyErrcode(errcode: number, { path = '' }: { path?: string } = {}): ErrcodeClass {
  const entry = ERRCODES[errcode];
  if (entry === undefined) return 'permanent';
  return (isTokenPath(path) && entry.onTokenPath) || entry.class;
}

export type ApiErrorKind = Exclude<ErrcodeClass, 'ok'> | 'network' | 'http';

export interface ApiErrorFields {
  /** Defaults to `wechat_<errcode>`. */
  code?: string;
  errcode?: number;
  errmsg?: string;
  path: string;
  kind?: ApiErrorKind;
  cause?: unknown;
}

/** A call to the WeChat API that did not succeed. `code` is `wechat_<errcode>` (or wechat_network, wechat_http_5xx…). */
export class WeChatApiError extends WxgateError {
  readonly errcode: number | undefined;
  readonly errmsg: string;
  readonly path: string;
  readonly kind: ApiErrorKind;

  constructor({ code, errcode, errmsg = '', path, kind = 'permanent', cause }: ApiErrorFields, retryable: boolean) {
    const name = code ?? `wechat_${errcode ?? 'unknown'}`;
    super(name, `WeChat ${path}: ${errcode === undefined ? name : `errcode ${errcode}`}${errmsg ? ` (${errmsg})` : ''}`, {
      status: 502,
      retryable,
      cause,
    });
    this.errcode = errcode;
    this.errmsg = errmsg;
    this.path = path;
    this.kind = kind;
  }
}

/** 40001 / 40014 / 42001: the token is not (or no longer) accepted; invalidate it and retry once. */
export class TokenStaleError extends WeChatApiError {
  constructor(fields: ApiErrorFields) {
    super({ kind: 'token_stale', ...fields }, true);
  }
}

/** Busy, network, 5xx, frequency limits, daily quota: worth another try later. */
export class TransientApiError extends WeChatApiError {
  constructor(fields: ApiErrorFields) {
    super({ kind: 'transient', ...fields }, true);
  }
}

/** The request will not succeed as it is (bad openid, closed 48 h window, bad secret…). */
export class PermanentApiError extends WeChatApiError {
  constructor(fields: ApiErrorFields) {
    super({ kind: 'permanent', ...fields }, false);
  }
}

/** The typed error for a WeChat `{errcode, errmsg}` answer on `path`. */
export function toApiError(errcode: number, errmsg: string, path: string): WeChatApiError {
  const kind = classifyErrcode(errcode, { path });
  const fields: ApiErrorFields = { errcode, errmsg, path: path.split('?')[0]!, kind: kind === 'ok' ? 'permanent' : kind };
  switch (kind) {
    case 'token_stale':
      return new TokenStaleError(fields);
    case 'transient':
    case 'quota':
      return new TransientApiError(fields);
    default:
      return new PermanentApiError(fields);
  }
}
