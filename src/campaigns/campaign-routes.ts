// The message centre's routes on the internal API (mounted by src/internal/router.ts, behind
// its bearer token and appid check). Without WXGATE_DATABASE_URL they exist and answer 503
// naming the variable, so a caller learns what is missing rather than getting a 404.
//
//   POST /apps/:appid/messages/template              WeChat's payload (+ Idempotency-Key) → 202 {id, status}
//   GET  /apps/:appid/messages/template/:id          one message's record
//   GET  /apps/:appid/messages?openid=…              what was sent to one user, across campaigns
//   POST /apps/:appid/campaigns                      JSON, NDJSON or CSV (streamed) → 202 {campaign_id}
//   POST /apps/:appid/campaigns/:id/recipients       the same formats: more recipients for that campaign
//   GET  /apps/:appid/campaigns/:id                  counts by status, sends/s, times, ETA
//   GET  /apps/:appid/campaigns/:id/recipients       ?status=failed&after=&limit= (JSON), &format=csv
//   POST /apps/:appid/campaigns/:id/pause|resume|cancel
import type Router from '@koa/router';
import type { Context } from 'koa';
import { ParameterError, WxgateError } from '../errors.js';
import type { CampaignService } from './campaign-service.js';
import { formatOf, parseCampaignBody, settingsOf, type CampaignSettings, type Recipient } from './recipients-parse.js';
import { recipientsCsv } from './recipients-csv.js';

export type InternalRoute = (name: string, work: (ctx: Context, appid: string) => Promise<unknown>) => (ctx: Context & { params: Record<string, string> }) => Promise<void>;

const q = (ctx: Context, name: string): string | undefined => {
  const v = ctx.query[name];
  return typeof v === 'string' && v !== '' ? v : undefined;
};

/** A page size: a whole number from 1 (the service cuts it to its maximum). Number('abc') is NaN, which PostgreSQL refused as a LIMIT: a 500. */
function limitOf(ctx: Context, fallback: number): number {
  const raw = q(ctx, 'limit');
  if (raw === undefined) return fallback;
  if (!/^[1-9][0-9]*$/.test(raw)) throw new ParameterError('limit', `limit must be a whole number from 1, not ${JSON.stringify(raw.slice(0, 20))}`);
  return Number(raw);
}

/** As sent: the service refuses one over its limit (a key cut short could name another request). */
function idempotencyKey(ctx: Context): string | undefined {
  const k = ctx.get('idempotency-key');
  return k === '' ? undefined : k;
}

/** Settings in the query string (CSV has nowhere else for them): template_id, url, data (JSON). */
function querySettings(ctx: Context) {
  let data: unknown;
  const raw = q(ctx, 'data');
  if (raw !== undefined) {
    try {
      data = JSON.parse(raw);
    } catch {
      throw new WxgateError('bad_request', 'the data query parameter must be JSON', { status: 400, expose: true });
    }
  }
  const mp = q(ctx, 'miniprogram_appid');
  return settingsOf({ template_id: q(ctx, 'template_id'), url: q(ctx, 'url'), data, ...(mp ? { miniprogram: { appid: mp, pagepath: q(ctx, 'miniprogram_pagepath') } } : {}) }, 'query');
}

export function mountCampaignRoutes(router: Router, route: InternalRoute, campaigns: CampaignService | undefined, { readJson }: { readJson(ctx: Context): Promise<Record<string, unknown>> }): void {
  const need = (): CampaignService => {
    if (campaigns) return campaigns;
    throw new WxgateError('database_not_configured', 'template messages and campaigns need PostgreSQL: set WXGATE_DATABASE_URL (e.g. postgres://wxgate@127.0.0.1:5432/wxgate) and restart', { status: 503, expose: true });
  };
  const id = (ctx: Context) => (ctx as Context & { params: Record<string, string> }).params.id!;

  router.post(
    '/apps/:appid/messages/template',
    route('messages/template', async (ctx, appid) => {
      const svc = need();
      const r = await svc.sendSingle(appid, await readJson(ctx), idempotencyKey(ctx));
      ctx.status = 202;
      return { id: r.id, status: r.status };
    }),
  );
  router.get('/apps/:appid/messages/template/:id', route('messages/template/get', async (ctx, appid) => need().message(appid, id(ctx))));
  router.get(
    '/apps/:appid/messages',
    route('messages', async (ctx, appid) => {
      const svc = need();
      const openid = q(ctx, 'openid');
      if (!openid) throw new WxgateError('bad_request', 'openid is required', { status: 400, expose: true });
      return { messages: await svc.messages(appid, openid, limitOf(ctx, 100)) };
    }),
  );
  /** A list in the body, streamed into `take`. */
  const upload = (name: string, take: (svc: CampaignService, ctx: Context, appid: string, settings: CampaignSettings, recipients: AsyncIterable<Recipient>, key: string | undefined) => Promise<unknown>) =>
    route(name, async (ctx, appid) => {
      const svc = need();
      // The query and headers first: refused on them, the body is never touched (Node drops it).
      const fromQuery = querySettings(ctx);
      const key = idempotencyKey(ctx);
      const parsed = parseCampaignBody(ctx.req, formatOf(ctx.get('content-type')));
      try {
        const settings = { ...fromQuery, ...(await parsed.settings()) };
        const r = await take(svc, ctx, appid, settings, parsed.recipients, key);
        ctx.status = 202;
        return r;
      } catch (err) {
        parsed.discard(); // refused before its list was read to the end (a 400, 404, 409 or 503)
        throw err;
      }
    });
  router.post('/apps/:appid/campaigns', upload('campaigns', (svc, _ctx, appid, settings, recipients, key) => svc.submitCampaign(appid, settings, recipients, key)));
  // The rest of a list cut short, to a campaign sent without a key (its id is in the refusal).
  router.post('/apps/:appid/campaigns/:id/recipients', upload('campaigns/add', (svc, ctx, appid, settings, recipients, key) => svc.addRecipients(appid, id(ctx), settings, recipients, key)));
  router.get('/apps/:appid/campaigns/:id', route('campaigns/status', async (ctx, appid) => need().status(appid, id(ctx))));
  router.get(
    '/apps/:appid/campaigns/:id/recipients',
    route('campaigns/recipients', async (ctx, appid) => {
      const svc = need();
      const status = q(ctx, 'status');
      if (q(ctx, 'format') === 'csv' || ctx.accepts('application/json', 'text/csv') === 'text/csv') {
        await svc.recipients(appid, id(ctx), { status, limit: 1 }); // 404 / 400 before the stream starts
        ctx.type = 'text/csv; charset=utf-8';
        return recipientsCsv((after) => svc.recipients(appid, id(ctx), { status, after, limit: 1000 }));
      }
      return svc.recipients(appid, id(ctx), { status, after: q(ctx, 'after'), limit: limitOf(ctx, 100) });
    }),
  );
  for (const action of ['pause', 'resume', 'cancel'] as const) {
    router.post(`/apps/:appid/campaigns/:id/${action}`, route(`campaigns/${action}`, async (ctx, appid) => need().control(appid, id(ctx), action)));
  }
}
