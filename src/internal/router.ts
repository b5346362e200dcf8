// The internal API for the account's other servers (the 中控 interface WeChat asks for): the
// current access_token, the passive refresh ("this token was rejected, give me its
// replacement"), and sending customer-service messages through wxgate's client.
//
// Mounting: the receiver mounts this router ONLY when WXGATE_INTERNAL_TOKEN is set
// (config.internalToken); unset, /internal does not exist at all. It is meant for a private
// network behind nginx; the bearer token is the only gate, compared in constant time.
//
//   GET  /internal/v1/apps/:appid/access-token             → { access_token, expires_at, expires_in }
//   POST /internal/v1/apps/:appid/access-token/invalidate  { stale_token } → same shape
//   POST /internal/v1/apps/:appid/messages/custom          WeChat custom/send payload → WeChat's JSON answer
//   template messages and campaigns: src/campaigns/campaign-routes.ts
import Router from '@koa/router';
import type { Context } from 'koa';
import { ConfigError, RequestError, WxgateError } from '../errors.js';
import type { Logger } from '../logger.js';
import { readRawBody } from '../receiver/read-raw-body.js';
import type { CustomMessage, WeChatClient } from '../wechat-api/client.js';
import { WeChatApiError } from '../wechat-api/errcodes.js';
import type { TokenInfo, TokenKeeper } from '../wechat-api/token-keeper.js';
import { createBearerCheck } from './bearer.js';
import type { CampaignService } from '../campaigns/campaign-service.js';
import { mountCampaignRoutes } from '../campaigns/campaign-routes.js';

export interface InternalRouterDeps {
  keeper: Pick<TokenKeeper, 'has' | 'get' | 'invalidate'>;
  client: Pick<WeChatClient, 'sendCustom'>;
  logger: Logger;
  /** The message centre; absent without WXGATE_DATABASE_URL (its routes then answer 503). */
  campaigns?: CampaignService;
}

export interface InternalRouterOptions {
  internalToken: string | undefined;
  bodyLimitBytes?: number;
}

const tokenBody = (t: TokenInfo) => ({
  access_token: t.token,
  expires_at: Math.floor(t.expiresAt / 1000),
  expires_in: Math.max(0, Math.floor((t.expiresAt - Date.now()) / 1000)),
});

export function createInternalRouter({ keeper, client, logger, campaigns }: InternalRouterDeps, { internalToken, bodyLimitBytes = 64 * 1024 }: InternalRouterOptions): Router {
  if (!internalToken) throw new ConfigError('WXGATE_INTERNAL_TOKEN is not set: the internal API must not be mounted without it (set it to a long random string).');
  const authorized = createBearerCheck(internalToken);
  const log = logger.child({ layer: 'internal' });
  const router = new Router({ prefix: '/internal/v1' });

  async function readJson(ctx: Context): Promise<Record<string, unknown>> {
    const raw = await readRawBody(ctx.req, bodyLimitBytes);
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch {
      throw new RequestError('bad_request', 'body is not JSON');
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new RequestError('bad_request', 'body must be a JSON object');
    return value as Record<string, unknown>;
  }

  /** Auth, appid check, error mapping and one log line per request, around `work`. */
  function route(name: string, work: (ctx: Context, appid: string) => Promise<unknown>) {
    return async (ctx: Context & { params: Record<string, string> }) => {
      const started = performance.now();
      const appid = ctx.params.appid ?? '';
      try {
        if (!authorized(ctx.get('authorization') || undefined)) {
          ctx.set('WWW-Authenticate', 'Bearer realm="wxgate-internal"');
          throw new WxgateError('unauthorized', 'missing or wrong bearer token', { status: 401, expose: true });
        }
        if (!keeper.has(appid)) throw new RequestError('unknown_app', `appid ${appid} is not configured`);
        ctx.body = await work(ctx, appid);
      } catch (err) {
        if (err instanceof WeChatApiError && err.errcode !== undefined) {
          // WeChat refused the call: pass WeChat's answer on, as WeChat would have given it.
          ctx.body = { errcode: err.errcode, errmsg: err.errmsg };
        } else if (err instanceof WxgateError) {
          ctx.status = err.status;
          // A body refused part-way may still be arriving: the connection is not reused for another request.
          if (err.code === 'body_too_large') ctx.set('Connection', 'close');
          ctx.body = { ...err.details, error: err.code, message: err.expose || err.status < 500 || err instanceof WeChatApiError ? err.message : 'internal error' };
        } else {
          ctx.status = 500;
          ctx.body = { error: 'internal_error', message: 'internal error' };
          log.error({ appid, route: name, err: (err as Error).message }, 'internal API error');
        }
      }
      log.info({ appid, route: name, status: ctx.status, ms: Math.round((performance.now() - started) * 10) / 10 }, 'internal request');
    };
  }

  router.get(
    '/apps/:appid/access-token',
    route('access-token', async (_ctx, appid) => tokenBody(await keeper.get(appid))),
  );

  router.post(
    '/apps/:appid/access-token/invalidate',
    route('access-token/invalidate', async (ctx, appid) => {
      const stale = (await readJson(ctx)).stale_token;
      if (typeof stale !== 'string' || stale === '') throw new RequestError('bad_request', 'stale_token (the token WeChat rejected) is required');
      return tokenBody(await keeper.invalidate(appid, stale));
    }),
  );

  router.post(
    '/apps/:appid/messages/custom',
    route('messages/custom', async (ctx, appid) => {
      const payload = await readJson(ctx);
      return client.sendCustom(appid, payload as unknown as CustomMessage);
    }),
  );

  mountCampaignRoutes(router, route, campaigns, { readJson });

  return router;
}
