// Calls to the WeChat API with the shared access_token. A token WeChat no longer accepts
// (40001/40014/42001) is invalidated in the keeper — only that token, compare-and-swap — and the
// call is retried once with its replacement; every other failure is a typed error for the caller
// (the worker) to retry or give up on. A call that cannot get a token at all throws
// TokenUnavailableError (token-unavailable.ts): WeChat never saw it, and the worker waits rather
// than spends an attempt. HTTP goes over node:http keep-alive agents, not fetch (http-exchange.ts
// says why).
// https://developers.weixin.qq.com/doc/offiaccount/Message_Management/Service_Center_messages.html
import { WxgateError } from '../errors.js';
import type { Logger } from '../logger.js';
import { classifyErrcode, isTokenPath, toApiError } from './errcodes.js';
import { errcodeOf, exchangeJson } from './http.js';
import { createHttpExchange, type HttpExchange } from './http-exchange.js';
import type { TokenAvailability } from './token-availability.js';
import type { TokenKeeper } from './token-keeper.js';
import { toTokenUnavailable } from './token-unavailable.js';

export type WeChatResult = Record<string, unknown> & { errcode?: number; errmsg?: string };

export interface CustomMessage {
  touser: string;
  msgtype: string;
  [payload: string]: unknown;
}

export interface TemplateMessage {
  touser: string;
  template_id: string;
  data: Record<string, { value: string; color?: string }>;
  url?: string;
  miniprogram?: { appid: string; pagepath?: string };
  [extra: string]: unknown;
}

export type TypingCommand = 'Typing' | 'CancelTyping';

export interface CallOptions {
  method?: 'GET' | 'POST';
  /** Extra query parameters (access_token is added by the client). */
  query?: Record<string, string>;
  /** Whether the call needs an access_token; default: every path but the token endpoints. */
  auth?: boolean;
  /**
   * The caller's `send` logger, bound to the message (appid, openid, stamp, dedupKey, reqId).
   * The caller then writes the one info line per send with its outcome; the client's own
   * per-HTTP-call lines go through it at debug (refusals and failures stay at warn).
   */
  log?: Logger;
}

export interface WeChatClient {
  call<T extends WeChatResult = WeChatResult>(appid: string, path: string, body?: unknown, options?: CallOptions): Promise<T>;
  sendCustom(appid: string, payload: CustomMessage, options?: CallOptions): Promise<WeChatResult>;
  sendTyping(appid: string, openid: string, command?: TypingCommand, options?: CallOptions): Promise<WeChatResult>;
  sendTemplate(appid: string, payload: TemplateMessage): Promise<WeChatResult & { msgid?: number }>;
}

export interface WeChatClientDeps {
  tokenKeeper?: Pick<TokenKeeper, 'get' | 'invalidate'>;
  logger: Logger;
  /** The HTTP transport (default: keep-alive agents of this client's own; a process makes one client). */
  http?: HttpExchange;
  /** Told when a token cannot be had, and when WeChat accepts one again (one line per change). */
  availability?: Pick<TokenAvailability, 'down' | 'up'>;
}

export interface WeChatClientOptions {
  apiBase: string;
  timeoutMs?: number;
}

export function createWeChatClient({ tokenKeeper, logger, http = createHttpExchange(), availability }: WeChatClientDeps, { apiBase, timeoutMs = 5000 }: WeChatClientOptions): WeChatClient {
  const ownLog = logger.child({ layer: 'send' });

  async function once(appid: string, path: string, body: unknown, method: 'GET' | 'POST', query: Record<string, string>, token: string | undefined, attempt: number, callerLog: Logger | undefined) {
    const log = callerLog ?? ownLog;
    const params = new URLSearchParams(query);
    if (token !== undefined) params.set('access_token', token);
    const qs = params.toString();
    const openid = typeof (body as { touser?: unknown } | undefined)?.touser === 'string' ? (body as { touser: string }).touser : undefined;
    const started = performance.now();
    const ms = () => Math.round((performance.now() - started) * 10) / 10;
    let json: Record<string, unknown>;
    try {
      json = await exchangeJson(http, { url: `${apiBase}${path}${qs ? `?${qs}` : ''}`, path, method, body, timeoutMs });
    } catch (err) {
      log.warn({ appid, openid, path, errcode: undefined, code: (err as WxgateError).code, ms: ms(), attempt }, 'wechat api call failed');
      throw err;
    }
    const errcode = errcodeOf(json);
    const line = { appid, openid, path, errcode, ms: ms(), attempt };
    if (errcode === 0) log[callerLog ? 'debug' : 'info'](line, 'wechat api call');
    else log.warn({ ...line, errmsg: json.errmsg }, 'wechat api call refused');
    return { json, errcode };
  }

  /** A token from the keeper, or TokenUnavailableError when none can be had. */
  async function acquire(appid: string, getting: () => Promise<{ token: string }>): Promise<string> {
    try {
      return (await getting()).token;
    } catch (err) {
      const unavailable = toTokenUnavailable(err, appid);
      if (!unavailable) throw err;
      availability?.down(unavailable);
      throw unavailable;
    }
  }

  async function call<T extends WeChatResult = WeChatResult>(appid: string, path: string, body?: unknown, { method = body === undefined ? 'GET' : 'POST', query = {}, auth = !isTokenPath(path), log }: CallOptions = {}): Promise<T> {
    if (auth && !tokenKeeper) throw new WxgateError('token_keeper_missing', `${path} needs an access_token but this client has no token keeper`);
    let token = auth ? await acquire(appid, () => tokenKeeper!.get(appid)) : undefined;
    for (let attempt = 1; ; attempt++) {
      const { json, errcode } = await once(appid, path, body, method, query, token, attempt, log);
      const stale = classifyErrcode(errcode, { path }) === 'token_stale';
      if (auth && !stale) availability?.up(appid); // WeChat took the token, whatever it said about the call
      if (errcode === 0) return json as T;
      const err = toApiError(errcode, String(json.errmsg ?? ''), path);
      if (auth && attempt === 1 && stale) {
        const rejected = token!;
        token = await acquire(appid, () => tokenKeeper!.invalidate(appid, rejected));
        continue;
      }
      throw err;
    }
  }

  return {
    call,
    sendCustom: (appid, payload, options) => call(appid, '/cgi-bin/message/custom/send', payload, options),
    sendTyping: (appid, openid, command = 'Typing', options) => call(appid, '/cgi-bin/message/custom/typing', { touser: openid, command }, options),
    sendTemplate: (appid, payload) => call(appid, '/cgi-bin/message/template/send', payload),
  };
}
