// One HTTP exchange with the WeChat API: JSON in, JSON out, a timeout, and the failures that
// are not WeChat errcodes (network, 5xx, non-JSON) turned into typed errors. The URL may carry
// access_token or secret in its query string, so it is never put into an error or a log line.
import { PermanentApiError, TransientApiError } from './errcodes.js';
import { HttpExchangeError, type HttpAnswer, type HttpExchange } from './http-exchange.js';

export interface JsonRequest {
  url: string;
  /** Path without query, for errors and logs. */
  path: string;
  method: 'GET' | 'POST';
  body?: unknown;
  timeoutMs: number;
}

/** One JSON exchange over an HttpExchange (keep-alive node:http, http-exchange.ts). */
export async function exchangeJson(exchange: HttpExchange, { url, path, method, body, timeoutMs }: JsonRequest): Promise<Record<string, unknown>> {
  let answer: HttpAnswer;
  try {
    answer = await exchange({ url, method, json: body === undefined ? undefined : JSON.stringify(body), timeoutMs });
  } catch (err) {
    const e = err as Error;
    const what = err instanceof HttpExchangeError && err.phase === 'response' ? `reading the answer failed: ${e.message}` : e.message;
    throw new TransientApiError({ code: 'wechat_network', errmsg: what, path, kind: 'network' });
  }
  return jsonAnswer(answer.status, answer.text, path);
}

/** An answer's status and body as WeChat's JSON object, or the typed error they amount to. */
function jsonAnswer(status: number, text: string, path: string): Record<string, unknown> {
  if (status >= 500) {
    throw new TransientApiError({ code: 'wechat_http_5xx', errmsg: `HTTP ${status}`, path, kind: 'http' });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    const fields = { errmsg: `HTTP ${status}, answer is not JSON`, path, kind: 'http' as const };
    throw status >= 400 ? new PermanentApiError({ code: 'wechat_http_4xx', ...fields }) : new TransientApiError({ code: 'wechat_bad_response', ...fields });
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    throw new TransientApiError({ code: 'wechat_bad_response', errmsg: 'answer is not a JSON object', path, kind: 'http' });
  }
  return json as Record<string, unknown>;
}

/** The errcode of a WeChat answer: absent means success (token endpoints omit it). */
export function errcodeOf(json: Record<string, unknown>): number {
  const code = json.errcode;
  if (code === undefined || code === null) return 0;
  const n = typeof code === 'number' ? code : Number(code);
  return Number.isFinite(n) ? n : -1;
}
