// What `serve`, `worker` and `all` share: the internal API and the /metrics extras, wired from
// the parts each command runs.
import type Router from '@koa/router';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import { createInternalRouter } from '../internal/router.js';
import type { Metrics } from '../metrics.js';
import type { WeChatClient } from '../wechat-api/client.js';
import type { TokenKeeper } from '../wechat-api/token-keeper.js';
import { tokenMetricsCollector } from '../wechat-api/token-metrics.js';

/** The internal API (/internal/v1) when WXGATE_INTERNAL_TOKEN is set; none otherwise. */
export function internalRouters({ config, keeper, client, logger }: { config: Config; keeper: TokenKeeper; client: WeChatClient; logger: Logger }): Router[] {
  if (!config.internalToken) return [];
  return [createInternalRouter({ keeper, client, logger }, { internalToken: config.internalToken })];
}

/** Token figures for /metrics, for the accounts this process can fetch or read tokens for. */
export function tokenCollectors({ config, keeper, metrics }: { config: Config; keeper: TokenKeeper; metrics: Metrics }): (() => Promise<void>)[] {
  return [tokenMetricsCollector(keeper, config.apps.map((a) => a.appid), metrics)];
}
