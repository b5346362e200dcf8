// co-wechat, the popular Koa peer, with a handler that takes BENCH_HANDLER_MS (default 8 s, an
// LLM-style answer) and then replies passively — the way its README shows. It counts how often
// the handler ran per MsgId (in memory) and shows the counts at GET /__runs, so the benchmark can
// see WeChat's retries run the handler again: co-wechat has no dedup and answers only at the end.
import Koa from 'koa';
import { createRequire } from 'node:module';
import { setTimeout as sleep } from 'node:timers/promises';
import { announce } from './announce.js';

const require = createRequire(import.meta.url);
const wechat = require('co-wechat') as (config: Record<string, string>) => { middleware(h: (m: Record<string, string>) => Promise<string>): Koa.Middleware };

const handlerMs = Number(process.env.BENCH_HANDLER_MS ?? 8000);
const runs = new Map<string, { started: number; finished: number }>();

const app = new Koa();
app.use(async (ctx, next) => {
  if (ctx.path !== '/__runs') return next();
  ctx.body = Object.fromEntries(runs);
});
app.use(
  wechat({ token: process.env.BENCH_TOKEN!, appid: process.env.BENCH_APPID! }).middleware(async (message) => {
    const key = message.MsgId ?? `${message.FromUserName}_${message.CreateTime}`;
    const r = runs.get(key) ?? { started: 0, finished: 0 };
    runs.set(key, r);
    r.started += 1;
    await sleep(handlerMs);
    r.finished += 1;
    return `answered after ${handlerMs} ms: ${message.Content ?? ''}`;
  }),
);
const server = app.listen(0, '127.0.0.1', () => {
  announce((server.address() as { port: number }).port);
});
process.on('SIGTERM', () => {
  server.close(() => process.exit(0));
  server.closeAllConnections();
});
