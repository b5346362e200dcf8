// A call that could not get an access_token has not failed: WeChat never saw it. The keeper's
// fetch was refused (40164 IP not whitelisted, 40125 bad secret, 45009 daily quota, -1 busy), did
// not answer (network, 5xx), another process's fetch did not come in time, or this process has no
// appsecret and nobody stored a token. The client turns every such failure into one class, and
// the worker decides from that class alone to wait (no attempt spent) instead of retrying or
// giving up (issue 14: two 40164 answers on the token fetch sent a window's replies to the
// dead-letter list).
//
// Use (any sender of queued jobs, the template campaigns included):
//   try { await client.sendTemplate(appid, payload) }
//   catch (err) { if (err instanceof TokenUnavailableError) return tokenWait.wait(job, token, err, { deadline, log }); … }
// (src/worker/token-wait.ts).
import { WxgateError } from '../errors.js';
import { WeChatApiError } from './errcodes.js';
import { describeFetchFailure } from './token-failure.js';

/** No appsecret here and no token in Redis: only another process (with the secret) can bring one. */
export class NoAppsecretError extends WxgateError {
  constructor(appid: string) {
    super('token_no_appsecret', `no access_token for ${appid} in Redis and no appsecret here to fetch one: set WECHAT_APPSECRET (or "appsecret" in WXGATE_APPS_FILE)`, { status: 503, retryable: true });
  }
}

export interface TokenUnavailableFields {
  appid: string;
  /** The underlying failure's code: wechat_40164, wechat_network, token_wait_timeout, token_no_appsecret… */
  reason: string;
  /** WeChat's errcode on the token fetch, when it answered one. */
  errcode?: number;
  errmsg: string;
  /** What the operator should do. */
  hint: string;
  cause?: unknown;
}

/** The access_token of `appid` cannot be had now. Retryable; a queued send waits for it without spending an attempt. */
export class TokenUnavailableError extends WxgateError {
  declare readonly code: 'token_unavailable';
  readonly appid: string;
  readonly reason: string;
  readonly errcode: number | undefined;
  readonly errmsg: string;
  readonly hint: string;

  constructor({ appid, reason, errcode, errmsg, hint, cause }: TokenUnavailableFields) {
    super('token_unavailable', `no access_token for ${appid} (${errcode === undefined ? reason : `errcode ${errcode}`}): ${hint}`, { status: 503, expose: true, retryable: true, cause });
    this.appid = appid;
    this.reason = reason;
    this.errcode = errcode;
    this.errmsg = errmsg;
    this.hint = hint;
  }
}

/**
 * The TokenUnavailableError for a failure of the keeper's get() or invalidate(), or undefined
 * for anything else (an unknown appid, Redis itself failing): those keep their own class.
 * Every WeChatApiError the keeper throws comes from a token fetch (or its backoff).
 */
export function toTokenUnavailable(err: unknown, appid: string): TokenUnavailableError | undefined {
  if (err instanceof TokenUnavailableError) return err;
  if (!(err instanceof WeChatApiError || err instanceof NoAppsecretError)) return undefined;
  const f = describeFetchFailure(err, appid);
  const hint = err instanceof NoAppsecretError ? `set WECHAT_APPSECRET here, or run a process that has it (it fetches the token for everyone)` : f.hint;
  return new TokenUnavailableError({ appid, reason: err.code, errcode: f.errcode, errmsg: f.errmsg, hint, cause: err });
}
