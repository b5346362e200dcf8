// The popular Koa peer, co-wechat, with an empty handler — or, with BENCH_ENQUEUE=1, with the
// same durable BullMQ add wxgate does (the peer doing our work).
import Koa from 'koa';
import { Queue } from 'bullmq';
import { createRequire } from 'node:module';
import { createRedis } from '../../src/redis.js';
import { inboundJobOptions } from '../../src/queue/inbound-job-options.js';
import { announce } from './announce.js';

const require = createRequire(import.meta.url);
const wechat = require('co-wechat') as (config: Record<string, string>) => { middleware(h: (m: Record<string, string>) => Promise<string>): Koa.Middleware };

const appid = process.env.BENCH_APPID!;
const enqueue = process.env.BENCH_ENQUEUE === '1';
const queue = enqueue ? new Queue('inbound', { connection: createRedis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', 'producer'), prefix: process.env.BENCH_PREFIX! }) : undefined;

const app = new Koa();
app.use(
  wechat({ token: process.env.BENCH_TOKEN!, appid }).middleware(async (message) => {
    if (queue) {
      const dedupKey = `m_${appid}_${message.MsgId}`;
      await queue.add(message.MsgType!, { appid, message, dedupKey, receivedAt: Date.now(), reqId: '' }, inboundJobOptions(dedupKey));
    }
    return '';
  }),
);
const server = app.listen(0, '127.0.0.1', () => {
  announce((server.address() as { port: number }).port);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
