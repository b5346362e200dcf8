// GET /metrics (Prometheus). Queue and spool depth are read at scrape time, not on the push path.
// nginx keeps this route off the public listener (nginx/wxgate.conf).
import Router from '@koa/router';
import type { Queue } from 'bullmq';
import type { RedisConnection } from '../redis.js';
import type { Metrics } from '../metrics.js';
import { countSpooled } from '../queue/spool-depth.js';
import { withTimeout } from '../with-timeout.js';

const STATES = ['waiting', 'active', 'delayed', 'completed', 'failed', 'prioritized'] as const;

export interface MetricsRoutesDeps {
  metrics: Metrics;
  queues: Queue[];
  /** Figures read at scrape time (token fetches, …); a failing one is skipped, not fatal. */
  collectors?: (() => Promise<void>)[];
  /** This process's Redis connection: PINGed at scrape time for wxgate_redis_up. */
  redis?: Pick<RedisConnection, 'ping'>;
}

/**
 * Jobs per queue name and state, summed over the queues of that name (on Redis Cluster each
 * account and inbound shard has its own). A name whose queues did not all answer is left out:
 * a partial sum would read as a drop.
 */
async function queueDepths(queues: Queue[]): Promise<Map<string, Record<string, number>>> {
  const answers = await Promise.all(queues.map((q) => withTimeout(q.getJobCounts(...STATES), 500, 'job counts').then((c) => ({ name: q.name, c }), () => ({ name: q.name, c: undefined }))));
  const sums = new Map<string, Record<string, number> | undefined>();
  for (const { name, c } of answers) {
    const sum = sums.has(name) ? sums.get(name) : {};
    sums.set(name, c && sum ? Object.fromEntries(STATES.map((s) => [s, (sum[s] ?? 0) + (c[s] ?? 0)])) : undefined);
  }
  return new Map([...sums].filter((e): e is [string, Record<string, number>] => e[1] !== undefined));
}

export function createMetricsRoutes({ metrics, queues, collectors = [], redis }: MetricsRoutesDeps, { spoolDir }: { spoolDir: string }): Router {
  const router = new Router();
  router.get('/metrics', async (ctx) => {
    await Promise.all([
      countSpooled(spoolDir).then((n) => metrics.spoolDepth.set(n), () => undefined),
      ...(redis ? [withTimeout(redis.ping(), 500, 'redis ping').then(() => metrics.redisUp.set(1), () => metrics.redisUp.set(0))] : []),
      ...collectors.map((collect) => withTimeout(collect(), 500, 'collector').catch(() => undefined)),
      queueDepths(queues).then(
        (depths) => {
          for (const [name, counts] of depths) for (const state of STATES) metrics.queueDepth.set({ queue: name, state }, counts[state] ?? 0);
        },
        () => undefined,
      ),
    ]);
    ctx.type = metrics.registry.contentType;
    ctx.body = await metrics.registry.metrics();
  });
  return router;
}
