import type { Config } from '../config.js';
import type { TokenKeeperOptions } from './token-keeper.js';

/** The token keeper's options from the configuration, for every command that runs a keeper. */
export function keeperOptions(config: Config): TokenKeeperOptions {
  const { apps, apiBase, prefix, token } = config;
  return { apps, apiBase, prefix, refreshAheadS: token.refreshAheadS, dailyQuota: token.dailyQuota, quotaWarnRatio: token.quotaWarnRatio };
}
