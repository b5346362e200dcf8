// WeChat's own paths, with WeChat's checks and errcodes. Each call: read the body, work out the
// account (from the token, or from the request for the token endpoints), count it, apply an
// injected fault if one matches, then answer as WeChat would.
import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import Router, { type RouterContext } from '@koa/router';
import type { Fault, MockFaults } from './faults.js';
import type { MockRecords } from './records.js';
import type { MockTokens } from './tokens.js';
import type { MockTemplates } from './templates.js';
import { parseBody, validateCustom, validateTemplate, validateTyping, type ParsedBody, type WeChatAnswer } from './validate.js';

export interface WeChatRoutesDeps {
  tokens: MockTokens;
  faults: MockFaults;
  records: MockRecords;
  /** Secret per appid, or 'any' to accept every non-empty appid and secret. */
  appsecrets: () => Readonly<Record<string, string>> | 'any';
  callbackIps: readonly string[];
  /** template/send's own checks, quota, client_msg_id and delivery reports (templates.ts). */
  templates?: (nextMsgid: () => number) => MockTemplates;
}

type Answer = Record<string, unknown>;

interface Call {
  path: string;
  body: ParsedBody;
  query: Record<string, string | undefined>;
  appid?: string;
  openid?: string;
}

const BODY_LIMIT = 1024 * 1024;
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const rid = () => `${randomBytes(4).toString('hex')}-${randomBytes(4).toString('hex')}-${randomBytes(4).toString('hex')}`;
const err = (a: WeChatAnswer): Answer => ({ errcode: a.errcode, errmsg: `${a.errmsg} rid: ${rid()}` });

async function readRaw(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > BODY_LIMIT) throw Object.assign(new Error('body too large'), { status: 413, expose: true });
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

export function createWeChatRoutes({ tokens, faults, records, appsecrets, callbackIps, templates: makeTemplates }: WeChatRoutesDeps): Router {
  const router = new Router();
  const counters = () => records.counters;
  let msgid = 1_000_000_000;
  const templates = makeTemplates?.(() => ++msgid);

  function checkSecret(appid: string | undefined, secret: string | undefined, grantType: unknown): WeChatAnswer | undefined {
    if (grantType !== 'client_credential') return { errcode: 40002, errmsg: 'invalid grant_type' };
    if (!appid) return { errcode: 41002, errmsg: 'appid missing' };
    if (!secret) return { errcode: 41004, errmsg: 'appsecret missing' };
    const secrets = appsecrets();
    if (secrets === 'any') return undefined;
    if (!Object.hasOwn(secrets, appid)) return { errcode: 40013, errmsg: 'invalid appid' };
    return secrets[appid] === secret ? undefined : { errcode: 40125, errmsg: 'invalid appsecret' };
  }

  function tokenAnswer(r: ReturnType<MockTokens['classic']>): Answer {
    if ('errcode' in r) return err(r);
    if (r.issued) counters().tokenFetches.issued++;
    return { access_token: r.token, expires_in: r.expiresInS };
  }

  /** The token check every non-token API makes first. */
  function withToken(call: Call, handle: (appid: string) => Answer): Answer {
    const token = call.query.access_token;
    if (!token) return err({ errcode: 41001, errmsg: 'access_token missing' });
    const ok = tokens.accept(token);
    if (!ok) return err({ errcode: 40001, errmsg: 'invalid credential, access_token is invalid or not latest' });
    return handle(ok.appid);
  }

  function message(validate: (b: ParsedBody) => WeChatAnswer | undefined, accepted: () => Answer) {
    return (call: Call): Answer =>
      withToken(call, (appid) => {
        const refused = validate(call.body);
        if (refused) return err(refused);
        records.record({ path: call.path, appid, body: (call.body as { value: unknown }).value, at: Date.now() });
        return accepted();
      });
  }

  /** Applies a fault: answers for it (true) or lets the call go on after its latency (false). */
  async function applyFault(ctx: RouterContext, f: Fault): Promise<boolean> {
    counters().faults.applied++;
    if (f.latencyMs) await sleep(f.latencyMs);
    if (ctx.req.socket.destroyed) {
      ctx.respond = false; // the caller gave up (or was killed): nothing to answer, nothing to do
      return true;
    }
    if (f.drop) {
      ctx.req.socket.destroy();
      ctx.respond = false;
      return true;
    }
    if (f.status !== undefined) {
      ctx.status = f.status;
      ctx.type = 'text/html';
      ctx.body = `<html><body>mock fault: HTTP ${f.status}</body></html>`;
      return true;
    }
    if (f.errcode !== undefined) {
      ctx.body = err({ errcode: f.errcode, errmsg: f.errmsg ?? 'mock fault' });
      return true;
    }
    return false;
  }

  /** `outcome`: the errcode answered, or 'dropped' / 'http_<status>' for faults that answer no JSON. */
  function count(kind: 'token' | 'message' | 'other', outcome: string): void {
    if (kind === 'token') {
      if (outcome !== '0') counters().tokenFetches.failed++;
    } else if (kind === 'message') {
      const s = counters().sends;
      s.byErrcode[outcome] = (s.byErrcode[outcome] ?? 0) + 1;
    }
  }

  function endpoint(method: 'get' | 'post', path: string, kind: 'token' | 'message' | 'other', identify: (call: Call) => void, handle: (call: Call) => Answer) {
    router[method](path, async (ctx) => {
      const raw = method === 'post' ? await readRaw(ctx.req) : '';
      const call: Call = { path, body: parseBody(raw), query: ctx.query as Record<string, string | undefined> };
      identify(call);
      if (kind === 'message') {
        counters().sends.total++;
        counters().sends.byPath[path] = (counters().sends.byPath[path] ?? 0) + 1;
      }
      const fault = faults.take({ path, appid: call.appid, openid: call.openid });
      if (fault && (await applyFault(ctx, fault))) {
        count(kind, ctx.respond === false ? 'dropped' : fault.status !== undefined ? `http_${fault.status}` : String(fault.errcode));
        return;
      }
      const answer = handle(call);
      count(kind, String(answer.errcode ?? 0));
      if (fault?.answerLatencyMs) {
        await sleep(fault.answerLatencyMs);
        if (ctx.req.socket.destroyed) return void (ctx.respond = false); // the caller died waiting: done all the same
      }
      ctx.body = answer;
    });
  }

  const countFetch = (call: Call, kind: 'stable' | 'classic', forced: boolean) => {
    const t = counters().tokenFetches;
    t.total++;
    t[kind]++;
    if (forced) t.forced++;
    if (call.appid) t.byAppid[call.appid] = (t.byAppid[call.appid] ?? 0) + 1;
  };
  const json = (call: Call) => (call.body.kind === 'json' ? call.body.value : {});
  const fromToken = (call: Call) => {
    call.appid = call.query.access_token ? tokens.accept(call.query.access_token)?.appid : undefined;
    call.openid = str(json(call).touser);
  };

  // https://developers.weixin.qq.com/doc/offiaccount/Basic_Information/Get_access_token.html
  endpoint(
    'get',
    '/cgi-bin/token',
    'token',
    (call) => {
      call.appid = str(call.query.appid);
      countFetch(call, 'classic', false);
    },
    (call) => {
      const refused = checkSecret(call.appid, str(call.query.secret), call.query.grant_type);
      return refused ? err(refused) : tokenAnswer(tokens.classic(call.appid!));
    },
  );

  // https://developers.weixin.qq.com/doc/offiaccount/Basic_Information/getStableAccessToken.html
  endpoint(
    'post',
    '/cgi-bin/stable_token',
    'token',
    (call) => {
      call.appid = str(json(call).appid);
      countFetch(call, 'stable', json(call).force_refresh === true);
    },
    (call) => {
      if (call.body.kind === 'empty') return err({ errcode: 44002, errmsg: 'empty post data' });
      if (call.body.kind === 'bad') return err({ errcode: 47001, errmsg: 'data format error' });
      const b = call.body.value;
      const refused = checkSecret(call.appid, str(b.secret), b.grant_type);
      return refused ? err(refused) : tokenAnswer(tokens.stable(call.appid!, b.force_refresh === true));
    },
  );

  const ok = () => ({ errcode: 0, errmsg: 'ok' });
  endpoint('post', '/cgi-bin/message/custom/send', 'message', fromToken, message(validateCustom, ok));
  endpoint('post', '/cgi-bin/message/custom/typing', 'message', fromToken, message(validateTyping, ok));
  const templateSend = templates
    ? (call: Call) => withToken(call, (appid) => templates.send(appid, call.body, (body) => records.record({ path: call.path, appid, body, at: Date.now() })))
    : message(validateTemplate, () => ({ errcode: 0, errmsg: 'ok', msgid: ++msgid }));
  endpoint('post', '/cgi-bin/message/template/send', 'message', fromToken, templateSend);
  endpoint('get', '/cgi-bin/getcallbackip', 'other', fromToken, (call) => withToken(call, () => ({ ip_list: [...callbackIps] })));

  return router;
}
