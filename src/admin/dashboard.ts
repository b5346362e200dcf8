// The queue dashboard (bull-board, the one BullMQ users already know) under /admin/queues: every
// queue of QUEUE_NAMES with its waiting, active, delayed, failed (with their errors) and completed
// jobs, and retry from the page. Only with a dashboard credential (WXGATE_DASHBOARD_USER and
// _PASSWORD, HTTP Basic); off otherwise. nginx keeps /admin local as it does /internal.
// https://github.com/felixmosh/bull-board
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { KoaAdapter } from '@bull-board/koa';
import { Queue } from 'bullmq';
import type { Middleware } from 'koa';
import type { Logger } from '../logger.js';
import { queueSpots, type AccountShards } from '../queue/account-queues.js';
import { INBOUND_QUEUE } from '../queue/jobs.js';
import { createRedis, type RedisTarget } from '../redis.js';
import type { RedisKeys } from '../redis-keys.js';
import { QUEUE_NAMES } from '../worker/dlq.js';
import { createBasicAuthCheck } from './basic-auth.js';

export const DASHBOARD_PATH = '/admin/queues';

export interface Dashboard {
  readonly middleware: Middleware;
  close(): Promise<void>;
}

export interface DashboardOptions {
  redis: RedisTarget;
  keys: RedisKeys;
  apps: readonly AccountShards[];
  credentials: { user: string; password: string };
  queueNames?: readonly string[];
}

export function createDashboard({ logger }: { logger: Logger }, { redis: target, keys, apps, credentials, queueNames = QUEUE_NAMES }: DashboardOptions): Dashboard {
  // A connection of its own: the page's listings (job lists, error stacks) must not queue on the
  // socket that every push's enqueue uses. Producer settings, so a page asked for while Redis is
  // away fails at once instead of hanging.
  const redis = createRedis(target, 'producer');
  redis.on('error', (err) => logger.debug({ layer: 'admin', err: err.message }, 'dashboard redis error'));
  // On Redis Cluster every account (and inbound shard) has queues of its own: named appid.name there.
  const spots = queueNames.flatMap((name) => queueSpots(keys, apps, { sharded: name === INBOUND_QUEUE }).map((spot) => ({ name, ...spot })));
  const shown = (s: { appid: string; shard: number }) => (keys.layout === 'shared' ? '' : `${s.appid}${s.shard > 0 ? `.${s.shard}` : ''}.`);
  const queues = spots.map((s) => new Queue(s.name, { connection: redis, prefix: s.prefix, skipVersionCheck: true }));
  const serverAdapter = new KoaAdapter().setBasePath(DASHBOARD_PATH);
  createBullBoard({
    queues: queues.map((q, i) => new BullMQAdapter(q, { allowRetries: true, prefix: shown(spots[i]!) })),
    serverAdapter,
    options: { uiConfig: { boardTitle: 'wxgate queues' } },
  });
  const board = serverAdapter.registerPlugin() as Middleware;
  const authorized = createBasicAuthCheck(credentials);

  const middleware: Middleware = async (ctx, next) => {
    if (ctx.path !== DASHBOARD_PATH && !ctx.path.startsWith(`${DASHBOARD_PATH}/`)) return next();
    const authorization = ctx.get('authorization');
    if (!authorized(authorization)) {
      // No credentials at all is the browser's first request (the challenge); wrong ones are worth a line.
      if (authorization) logger.warn({ layer: 'admin', ip: ctx.ip, path: ctx.path }, 'dashboard credentials refused');
      ctx.status = 401;
      ctx.set('WWW-Authenticate', 'Basic realm="wxgate queues", charset="UTF-8"');
      ctx.body = 'credentials required';
      return;
    }
    return board(ctx, next);
  };

  return {
    middleware,
    async close() {
      await Promise.all(queues.map((q) => q.close().catch(() => undefined)));
      redis.disconnect();
    },
  };
}
