// access_token figures for /metrics, read from Redis at scrape time (they are shared by every
// process, so any process's /metrics shows the account's whole day).
import type { Metrics } from '../metrics.js';
import type { TokenKeeper } from './token-keeper.js';

export function tokenMetricsCollector(keeper: Pick<TokenKeeper, 'stats'>, appids: readonly string[], metrics: Metrics): () => Promise<void> {
  return async () => {
    for (const appid of appids) {
      const s = await keeper.stats(appid);
      metrics.tokenFetchesToday.set({ appid }, s.fetchesToday);
      metrics.tokenDailyQuota.set({ appid }, s.dailyQuota);
    }
  };
}
