// What a failed access_token fetch means for the operator: the log level, a hint that says what
// to do, and how long to wait before the next try. Kept apart from the keeper so the wording
// and the backoff policy can be read (and tested) at once.
import { WxgateError } from '../errors.js';
import { WeChatApiError, toApiError, TransientApiError } from './errcodes.js';
import type { Backoff } from './token-store.js';

const SECRET_CODES = new Set([40001, 40013, 40125, 41002, 41004]);

export interface FailureInfo {
  code: string;
  errcode?: number;
  errmsg: string;
  path: string;
  level: 'warn' | 'error';
  hint: string;
  quota: boolean;
}

export function describeFetchFailure(err: unknown, appid: string): FailureInfo {
  const e = err instanceof WeChatApiError ? err : undefined;
  const code = err instanceof WxgateError ? err.code : 'token_fetch_failed';
  const base = { code, errcode: e?.errcode, errmsg: e?.errmsg ?? (err as Error).message, path: e?.path ?? '' };
  const errcode = e?.errcode;
  if (errcode !== undefined && SECRET_CODES.has(errcode)) {
    return {
      ...base,
      level: 'error',
      quota: false,
      hint: `WeChat refused the appid/appsecret of ${appid}: check WECHAT_APPSECRET (or "appsecret" for this appid in WXGATE_APPS_FILE) against MP console → 设置与开发 → 基本配置`,
    };
  }
  if (errcode === 40164) {
    return {
      ...base,
      level: 'error',
      quota: false,
      hint: `this server's IP is not in the IP whitelist of ${appid}: add it in MP console → 设置与开发 → 基本配置 → IP白名单`,
    };
  }
  if (errcode === 45009) {
    return {
      ...base,
      level: 'error',
      quota: true,
      hint: `the daily access_token quota of ${appid} is used up (45009): WeChat refuses fetches until Beijing midnight; look for a process that fetches tokens on its own`,
    };
  }
  return { ...base, level: 'warn', quota: false, hint: 'access_token fetch failed; retrying with backoff' };
}

export interface BackoffPolicy {
  baseMs: number;
  maxMs: number;
}

/** Exponential with ±20 % jitter so that processes spread out; the daily quota waits the longest. */
export function backoffDelay({ baseMs, maxMs }: BackoffPolicy, failures: number, quota: boolean): number {
  if (quota) return maxMs;
  const exp = Math.min(maxMs, baseMs * 2 ** Math.min(30, failures - 1));
  return exp * (0.8 + Math.random() * 0.4);
}

/** The error a caller gets while fetches for this account are backing off. */
export function backoffError(b: Backoff): WeChatApiError {
  if (b.errcode !== undefined) return toApiError(b.errcode, `${b.errmsg} (fetch backing off for ${Math.max(0, b.until - Date.now())} ms)`, b.path || '/cgi-bin/token');
  return new TransientApiError({ code: b.code, errmsg: `${b.errmsg} (fetch backing off)`, path: b.path, kind: 'network' });
}
