// The two ways to get an access_token from WeChat. The stable API (default) returns the same
// token while it is valid, so processes asking at once do not knock each other out; the
// classic API issues a new token on every call and invalidates the previous one (after ~5 min).
// https://developers.weixin.qq.com/doc/offiaccount/Basic_Information/getStableAccessToken.html
// https://developers.weixin.qq.com/doc/offiaccount/Basic_Information/Get_access_token.html
import type { AppConfig } from '../config.js';
import { TransientApiError, toApiError } from './errcodes.js';
import { errcodeOf, exchangeJson } from './http.js';
import { createHttpExchange, type HttpExchange } from './http-exchange.js';

export type TokenSource = 'stable' | 'stable_forced' | 'classic';

export interface FetchedToken {
  token: string;
  expiresInMs: number;
  source: TokenSource;
}

export interface TokenFetcher {
  /** `force` asks the stable API for a new token (WeChat: 20 a day, 30 s apart). */
  fetch(app: AppConfig, options?: { force?: boolean }): Promise<FetchedToken>;
}

export interface TokenFetcherOptions {
  apiBase: string;
  timeoutMs?: number;
}

export function createTokenFetcher({ http = createHttpExchange() }: { http?: HttpExchange }, { apiBase, timeoutMs = 5000 }: TokenFetcherOptions): TokenFetcher {
  return {
    async fetch(app, { force = false } = {}) {
      const secret = app.appsecret ?? '';
      let path: string;
      let json: Record<string, unknown>;
      if (app.tokenApi === 'classic') {
        path = '/cgi-bin/token';
        const query = new URLSearchParams({ grant_type: 'client_credential', appid: app.appid, secret });
        json = await exchangeJson(http, { url: `${apiBase}${path}?${query}`, path, method: 'GET', timeoutMs });
      } else {
        path = '/cgi-bin/stable_token';
        const body = { grant_type: 'client_credential', appid: app.appid, secret, force_refresh: force };
        json = await exchangeJson(http, { url: `${apiBase}${path}`, path, method: 'POST', body, timeoutMs });
      }
      const errcode = errcodeOf(json);
      if (errcode !== 0) throw toApiError(errcode, String(json.errmsg ?? ''), path);
      const token = json.access_token;
      const expiresIn = Number(json.expires_in);
      if (typeof token !== 'string' || token === '' || !Number.isFinite(expiresIn) || expiresIn <= 0) {
        throw new TransientApiError({ code: 'wechat_bad_response', errmsg: 'no access_token / expires_in in the answer', path, kind: 'http' });
      }
      const source: TokenSource = app.tokenApi === 'classic' ? 'classic' : force ? 'stable_forced' : 'stable';
      return { token, expiresInMs: expiresIn * 1000, source };
    },
  };
}
