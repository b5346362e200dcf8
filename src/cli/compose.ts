// What `serve`, `worker` and `all` share: the internal API and the /metrics extras, wired from
// the parts each command runs.
import type Router from '@koa/router';
import type { Config } from '../config.js';
import { createCampaignService, type CampaignService } from '../campaigns/campaign-service.js';
import type { Logger } from '../logger.js';
import { createInternalRouter } from '../internal/router.js';
import type { Metrics } from '../metrics.js';
import type { WeChatClient } from '../wechat-api/client.js';
import type { TokenKeeper } from '../wechat-api/token-keeper.js';
import { tokenMetricsCollector } from '../wechat-api/token-metrics.js';

/** The internal API (/internal/v1) when WXGATE_INTERNAL_TOKEN is set; none otherwise. */
export function internalRouters({ config, keeper, client, logger, campaigns }: { config: Config; keeper: TokenKeeper; client: WeChatClient; logger: Logger; campaigns?: CampaignService }): Router[] {
  if (!config.internalToken) return [];
  return [createInternalRouter({ keeper, client, logger, campaigns }, { internalToken: config.internalToken })];
}

/** Token figures for /metrics, for the accounts this process can fetch or read tokens for. */
export function tokenCollectors({ config, keeper, metrics }: { config: Config; keeper: TokenKeeper; metrics: Metrics }): (() => Promise<void>)[] {
  return [tokenMetricsCollector(keeper, config.apps.map((a) => a.appid), metrics)];
}

/** The message centre's API side when WXGATE_DATABASE_URL is set (and the internal API is on); its migrations run in the background. */
export async function startCampaigns({ config, logger }: { config: Config; logger: Logger }): Promise<CampaignService | undefined> {
  if (!config.internalToken || !config.campaigns.databaseUrl) return undefined;
  const campaigns = createCampaignService({ config, logger });
  // In the background, as the receiver starts whatever Redis does: a database that is away
  // holds back the message centre alone (its routes answer 503), never the receiver.
  campaigns.start().catch((err: Error) => logger.error({ layer: 'records', err: err.message }, 'message centre did not start'));
  return campaigns;
}
