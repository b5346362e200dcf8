// /healthz: the process answers. /readyz: RedisConnection answers too (503 otherwise), with the spool
// depth so that the person on call sees how much is waiting to be drained, and what the last
// Redis check found (src/redis-health): unsafe settings and a detected data loss are in the body
// but keep it 200, since the process serves as well as it can either way. In a process that
// sends (worker, all), also each account's access_token state: an account whose token cannot be
// had keeps its sends waiting, which the body says (the status stays Redis's: another process
// would not get a token either).
import Router from '@koa/router';
import type { RedisConnection } from '../redis.js';
import type { RedisHealth } from '../redis-health/create-redis-health.js';
import { withTimeout } from '../with-timeout.js';
import { countSpooled } from '../queue/spool-depth.js';
import type { TokenAvailabilityView } from '../wechat-api/token-availability.js';

export interface HealthDeps {
  redis: RedisConnection;
  redisHealth: RedisHealth;
  /** Each account's access_token state, in processes that send. */
  tokens?: () => Record<string, TokenAvailabilityView>;
}

export function createHealthRoutes({ redis, redisHealth, tokens }: HealthDeps, { spoolDir, timeoutMs = 500 }: { spoolDir: string; timeoutMs?: number }): Router {
  const router = new Router();
  router.get('/healthz', (ctx) => {
    ctx.type = 'text/plain';
    ctx.body = 'ok';
  });
  router.get('/readyz', async (ctx) => {
    const [redisUp, spooled] = await Promise.all([
      withTimeout(redis.ping(), timeoutMs, 'ping').then(() => true, () => false),
      countSpooled(spoolDir).catch(() => -1),
    ]);
    ctx.status = redisUp ? 200 : 503;
    ctx.body = { redis: redisUp ? 'up' : 'down', spool: { depth: spooled }, durability: redisHealth.status(), ...(tokens ? { tokens: tokens() } : {}) };
  });
  return router;
}
