// GET = URL verification, POST = pushes, on /wechat (single account) and /wechat/:appid.
// https://developers.weixin.qq.com/doc/offiaccount/Basic_Information/Access_Overview.html
// Two paths, matched by a plain middleware: @koa/router's per-request matching and layer
// composition cost ~7 µs of the ~130 µs a push costs (issue 2's benchmark, 5 of 6 paired
// runs); the other routes (health, metrics, internal API) keep the router.
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { parse as parseQuery } from 'node:querystring';
import type { Context, Middleware } from 'koa';
import { WxgateError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import { createReceiveMetrics, type ReceiveMetrics } from './receive-metrics.js';
import { verifySignature } from '../wechat/signature.js';
import { messageSummary } from '../wechat/messages.js';
import type { AppRegistry } from './app-registry.js';
import type { PushStore } from './push-store.js';
import { replayGuard } from '../queue/inbound-job-options.js';
import { pushMode, readPush, type PushQuery } from './read-push.js';
import { readRawBody } from './read-raw-body.js';
import type { PassiveSlots } from '../queue/passive-slot.js';
import { answerWithoutWait, awaitPassiveReply, holdUntilDropped, type PassiveOutcome } from './passive-wait.js';

export interface WechatRoutesOptions {
  bodyLimitBytes?: number;
  toleranceS?: number;
  /** Injectable clock (seconds) for tests. */
  nowS?: () => number;
  /** Reply modes passive and auto: WXGATE_PASSIVE_WAIT_MS and WXGATE_PASSIVE_USE_RETRIES. */
  passive?: { waitMs: number; useRetries: boolean };
}

export interface WechatRoutesDeps {
  registry: AppRegistry;
  store: PushStore;
  logger: Logger;
  metrics?: Metrics;
  /** Where a push of an account in reply mode passive or auto waits for its first reply. */
  slots?: PassiveSlots;
}

const round = (n: number) => Math.round(n * 1000) / 1000;

// Set as a header rather than through ctx.type, which looks the type up in mime-types on every
// answer; the value is what that lookup gives for 'text/plain'.
const TEXT_PLAIN = 'text/plain; charset=utf-8';
const XML = 'application/xml; charset=utf-8';

/** nginx's X-Request-Id when present (the access log carries the same id), else a new one. */
function requestId(ctx: Context): string {
  const id = ctx.req.headers['x-request-id'];
  return typeof id === 'string' && id !== '' ? id : randomUUID();
}

function reject(ctx: Context, log: Logger, fields: Record<string, unknown>, err: unknown, started: number, metrics?: ReceiveMetrics): void {
  if (!(err instanceof WxgateError)) throw err;
  metrics?.rejected(String(fields.appid ?? ''), err.code);
  ctx.status = err.status;
  ctx.set('Content-Type', TEXT_PLAIN);
  ctx.body = err.expose ? err.message : err.code;
  // The rest of an oversized body was never read: do not keep the connection for another request.
  if (err.code === 'body_too_large') ctx.set('Connection', 'close');
  const level = err.status >= 500 ? 'error' : 'warn';
  Object.assign(fields, { status: err.status, outcome: 'rejected', reason: err.code, ms: round(performance.now() - started) });
  log[level](fields, 'push rejected');
}

/**
 * The query string as a record of strings. node:querystring rather than Koa's ctx.query, which
 * builds a URLSearchParams and defines each key by defineProperty (~3 % of a push's CPU); both
 * decode '+' and %xx alike. WeChat sends each parameter once: a repeated one counts as absent.
 */
function readQuery(ctx: Context): PushQuery {
  const query = parseQuery(ctx.querystring);
  for (const key in query) if (typeof query[key] !== 'string') delete query[key];
  return query as PushQuery;
}

/** The appid segment of /wechat/:appid, '' for /wechat, undefined for any other path. */
export function wechatPathAppid(path: string): string | undefined {
  if (!path.startsWith('/wechat')) return undefined;
  const rest = path.endsWith('/') ? path.slice(7, -1) : path.slice(7);
  if (rest === '') return '';
  if (rest.charCodeAt(0) !== 47 || rest.length === 1 || rest.indexOf('/', 1) !== -1) return undefined;
  try {
    return decodeURIComponent(rest.slice(1));
  } catch {
    return rest.slice(1); // not a registered appid either way: resolve() answers 404
  }
}

export function createWechatRoutes(
  { registry, store, logger, metrics: allMetrics, slots }: WechatRoutesDeps,
  { bodyLimitBytes = 64 * 1024, toleranceS = 300, nowS = () => Math.floor(Date.now() / 1000), passive: { waitMs, useRetries } = { waitMs: 4000, useRetries: false } }: WechatRoutesOptions = {},
): Middleware {
  const log = logger.child({ layer: 'receive' });
  const metrics = allMetrics && createReceiveMetrics(allMetrics);

  async function verifyUrl(ctx: Context, pathAppid: string | undefined): Promise<void> {
    const started = performance.now();
    const query = readQuery(ctx);
    const fields: Record<string, unknown> = { appid: pathAppid, reqId: requestId(ctx), kind: 'url_verification' };
    try {
      const app = registry.resolve(pathAppid);
      // Single-account mode's /wechat names no appid: a rejection still counts for the account (issue 16).
      fields.appid = app.config.appid;
      verifySignature({ token: app.config.token, timestamp: query.timestamp, nonce: query.nonce, signature: query.signature }, { nowS: nowS(), toleranceS });
      // An account that accepts plaintext: the same signature would sign a POST with any body.
      // Redis away: the URL is verified anyway (the MP console waits for it), and the line says
      // the nonce stays usable for the timestamp window.
      if (app.config.mode !== 'safe') {
        await store.reserve(app.config.appid, replayGuard(app.config.appid, query.timestamp!, query.nonce!, '', toleranceS)).catch((err: Error) => {
          log.warn({ ...fields, code: 'nonce_not_reserved', err: err.message }, "URL verification's nonce not recorded: its signed URL could carry a push until the timestamp window ends");
        });
      }
      ctx.set('Content-Type', TEXT_PLAIN);
      // echostr is not covered by the signature: a seen URL echoes what a caller puts there, so
      // no browser may take it for anything but text.
      ctx.set('X-Content-Type-Options', 'nosniff');
      ctx.body = query.echostr ?? '';
      log.info({ ...fields, status: 200, outcome: 'verified', ms: round(performance.now() - started) }, 'url verified');
      metrics?.verified(app.config.appid);
    } catch (err) {
      reject(ctx, log, fields, err, started, metrics);
    }
  }

  async function receive(ctx: Context, pathAppid: string | undefined): Promise<void> {
    const started = performance.now();
    const receivedAt = Date.now();
    const query = readQuery(ctx);
    const reqId = requestId(ctx);
    // One object for the push's log line, filled in as the facts become known (no copies on
    // the request path); a rejection logs whatever was known by then.
    const fields: Record<string, unknown> = { appid: pathAppid, openid: query.openid, reqId };
    try {
      const app = registry.resolve(pathAppid);
      const appid = app.config.appid;
      fields.appid = appid;
      fields.mode = pushMode(query);
      const body = await readRawBody(ctx.req, bodyLimitBytes);
      const push = readPush(app, query, body, { nowS: nowS(), toleranceS });
      Object.assign(fields, messageSummary(push.message), { dedupKey: push.dedupKey });
      if (query.openid) fields.openid = query.openid;
      // An account that accepts safe mode only: msg_signature covers the body, so there is
      // nothing to replay. Plaintext and compat accounts record every push's (timestamp, nonce),
      // encrypted ones too, so a URL seen once cannot carry a second message in another mode.
      const guard = app.config.mode === 'safe' ? undefined : replayGuard(appid, query.timestamp!, query.nonce!, push.xml, toleranceS);
      const { replyMode } = app.config;
      if (replyMode === 'custom') {
        const stored = await store.store({ appid, message: push.message, dedupKey: push.dedupKey, receivedAt, reqId }, guard);
        ctx.set('Content-Type', TEXT_PLAIN);
        ctx.body = 'success';
        const steps: Record<string, number | undefined> = push.steps;
        steps[stored.outcome === 'acked' ? 'enqueue' : 'spool'] = round(stored.ms);
        const total = performance.now() - started;
        Object.assign(fields, { status: 200, outcome: stored.outcome, steps, ms: round(total) });
        log.info(fields, 'push acknowledged');
        metrics?.acked(appid, push.mode, stored.outcome, steps, total);
        return;
      }
      // Reply modes passive and auto (issue 17): the slot is marked in the add's write, the add
      // decides durability exactly as above, and only then does the request wait for the reply.
      const retries = replyMode === 'passive' && useRetries;
      const slot = slots?.open(push.dedupKey, { retries });
      const stored = await store.store({ appid, message: push.message, dedupKey: push.dedupKey, receivedAt, reqId, replyMode, ...(retries && { passiveRetries: true }) }, guard).catch((err: unknown) => {
        slot?.cancel(); // refused (a replayed nonce) or not stored: nothing to wait for
        throw err;
      });
      const steps: Record<string, number | undefined> = push.steps;
      steps[stored.outcome === 'acked' ? 'enqueue' : 'spool'] = round(stored.ms);
      const acked = performance.now() - started;
      metrics?.acked(appid, push.mode, stored.outcome, steps, acked);
      const waitStarted = performance.now();
      // `success` at once, and the line says why (the operator otherwise sees a passive account
      // answering `success` with no wait and no reason): spooled, no worker can see it in time;
      // or no slot, this receiver's hand-over subscription or Redis connection is down.
      const waitSkipped = stored.outcome === 'spooled' ? 'spooled' : !slot ? (slots?.unavailable() ?? 'no_subscription') : undefined;
      const answering = { app, message: push.message, wire: push.mode, nonce: query.nonce!, nowS };
      const passive: PassiveOutcome = waitSkipped !== undefined || !slot ? answerWithoutWait(slot, answering) : await awaitPassiveReply(slot, { waitMs, retries, ...answering });
      const waited = round(performance.now() - waitStarted);
      const total = performance.now() - started;
      Object.assign(fields, { status: 200, outcome: stored.outcome, steps, answer: passive.answer, ...(waitSkipped !== undefined && { waitSkipped }), replyWaitMs: waited, ...(passive.handOverMs !== undefined && { handOverMs: passive.handOverMs }), ms: round(total) });
      metrics?.passive(appid, passive.answer, waited);
      if (passive.answer === 'run_out') {
        log.info(fields, 'push acknowledged: no answer, so that WeChat delivers it again for the reply');
        return holdUntilDropped(ctx, receivedAt);
      }
      log.info(fields, passive.answer === 'passive' ? 'push answered with a passive reply' : 'push acknowledged');
      ctx.set('Content-Type', passive.answer === 'passive' ? XML : TEXT_PLAIN);
      ctx.body = passive.body ?? 'success';
    } catch (err) {
      reject(ctx, log, fields, err, started, metrics);
    }
  }

  return async (ctx, next) => {
    const segment = wechatPathAppid(ctx.path);
    if (segment === undefined) return next();
    const appid = segment === '' ? undefined : segment;
    if (ctx.method === 'POST') return receive(ctx, appid);
    if (ctx.method === 'GET' || ctx.method === 'HEAD') return verifyUrl(ctx, appid);
    ctx.set('Allow', 'GET, HEAD, POST');
    ctx.status = ctx.method === 'OPTIONS' ? 204 : 405;
  };
}
