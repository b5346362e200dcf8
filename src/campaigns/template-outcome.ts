// What one template/send attempt's result means, in one place (unit-tested on its own). It
// extends the customer-service sends' table (src/wechat-api/errcodes.ts, decided by class via
// isRetryable) with the two things a message centre must do differently:
// - 45009 on template/send is the account's daily API quota (接口调用次数): every remaining
//   recipient would fail the same way until WeChat's quota day turns, so the account's template
//   sends pause until then instead of spending each recipient's retries.
// - a token outage (the access_token could not be had: fetch refused, keeper backing off,
//   network on the token fetch) waits without spending an attempt: it is not this send's failure.
// Stale tokens (40001/40014/42001) are replaced by the client, which retries once itself.
// https://developers.weixin.qq.com/doc/offiaccount/Message_Management/Template_Message_Interface.html
import { isRetryable, WxgateError } from '../errors.js';
import { isTokenPath, WeChatApiError } from '../wechat-api/errcodes.js';
import { TokenUnavailableError } from '../wechat-api/token-unavailable.js';

export type TemplateDecision =
  | { action: 'sent'; msgid?: string }
  | { action: 'retry'; code: string; errcode?: number; errmsg: string }
  | { action: 'failed'; code: string; errcode?: number; errmsg: string }
  | { action: 'quota_pause'; code: string; errcode: number; errmsg: string }
  | { action: 'token_wait'; code: string; errmsg: string };

/** The daily quota of the API itself (not of token fetches). */
export const TEMPLATE_QUOTA_ERRCODE = 45009;

/** The client's one class for "no access_token to be had" (src/wechat-api/token-unavailable.ts). */
export function isTokenOutage(err: unknown): err is TokenUnavailableError {
  return err instanceof TokenUnavailableError;
}

const BIGINT_MAX = 2n ** 63n - 1n;

/**
 * WeChat's msgid as the digits the records' bigint column takes, or none. An answer of errcode 0
 * without one is still a send (recorded with msgid NULL, its delivery report unmatched): turned
 * into '' it made PostgreSQL refuse the whole batch of records it was written with.
 */
export function msgidOf(v: unknown): string | undefined {
  const s = typeof v === 'number' && Number.isInteger(v) ? String(v) : typeof v === 'string' ? v : undefined;
  return s !== undefined && /^[0-9]{1,19}$/.test(s) && BigInt(s) <= BIGINT_MAX ? s : undefined;
}

export function decideTemplateOutcome(
  outcome: { result: { errcode?: number; msgid?: unknown } } | { error: unknown },
  { attempt, attempts }: { attempt: number; attempts: number },
): TemplateDecision {
  if ('result' in outcome) {
    const msgid = msgidOf(outcome.result.msgid);
    return msgid === undefined ? { action: 'sent' } : { action: 'sent', msgid };
  }
  const err = outcome.error;
  const api = err instanceof WeChatApiError ? err : undefined;
  const code = err instanceof WxgateError ? err.code : (err as Error)?.name ?? 'error';
  const errmsg = api?.errmsg || (err as Error)?.message || String(err);
  const fields = { code, errmsg, ...(api?.errcode !== undefined ? { errcode: api.errcode } : {}) };
  if (isTokenOutage(err)) return { action: 'token_wait', code, errmsg };
  if (api?.errcode === TEMPLATE_QUOTA_ERRCODE && !isTokenPath(api.path)) return { action: 'quota_pause', code, errcode: TEMPLATE_QUOTA_ERRCODE, errmsg };
  if (isRetryable(err) && attempt < attempts) return { action: 'retry', ...fields };
  return { action: 'failed', ...fields };
}
