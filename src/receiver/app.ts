// The receiver's Koa app: WeChat routes, health routes, and (when configured) the internal API.
import Koa from 'koa';
import type Router from '@koa/router';
import type { RedisConnection } from '../redis.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import type { RedisHealth } from '../redis-health/create-redis-health.js';
import { createHealthRoutes, type HealthDeps } from './health-routes.js';
import { createWechatRoutes, type WechatRoutesDeps, type WechatRoutesOptions } from './wechat-routes.js';
import type { AppRegistry } from './app-registry.js';
import type { PushStore } from './push-store.js';

export interface ReceiverDeps {
  registry: AppRegistry;
  store: PushStore;
  redis: RedisConnection;
  /** What /readyz reports about Redis's settings and data. */
  redisHealth: RedisHealth;
  logger: Logger;
  metrics?: Metrics;
  /** Extra routers (internal API, metrics) mounted after the WeChat routes. */
  routers?: Router[];
  /** The access_token states /readyz reports (`wxgate all`). */
  tokens?: HealthDeps['tokens'];
  /** Extra middleware (the queue dashboard) mounted after the routers. */
  middleware?: Koa.Middleware[];
  /** Reply modes passive and auto: where pushes wait for their first reply. */
  slots?: WechatRoutesDeps['slots'];
}

export interface ReceiverOptions extends WechatRoutesOptions {
  spoolDir: string;
}

export function createReceiverApp({ registry, store, redis, redisHealth, logger, metrics, routers = [], tokens, middleware = [], slots }: ReceiverDeps, { spoolDir, ...routeOptions }: ReceiverOptions): Koa {
  const app = new Koa();
  // Behind nginx: X-Forwarded-For is trusted for ctx.ip.
  app.proxy = true;
  app.on('error', (err: Error) => logger.error({ layer: 'receive', err: err.message }, 'unhandled receiver error'));
  app.use(createWechatRoutes({ registry, store, logger, metrics, slots }, routeOptions));
  for (const router of [createHealthRoutes({ redis, redisHealth, tokens }, { spoolDir }), ...routers]) {
    app.use(router.routes()).use(router.allowedMethods());
  }
  for (const m of middleware) app.use(m);
  return app;
}
