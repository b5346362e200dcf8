// The WeChat API side of a process, from the configuration: its own Redis connection (worker
// settings: the keeper waits rather than fails while Redis reconnects), the access-token
// keeper and the client that uses it. `serve` (for the internal API), `worker`, `all` and
// `token` all build it the same way.
import type { RedisConnection } from '../redis.js';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import { createRedis } from '../redis.js';
import { keysOf } from '../redis-keys.js';
import { createWeChatClient, type WeChatClient } from './client.js';
import { createTokenAvailability, type TokenAvailability } from './token-availability.js';
import { createTokenKeeper, type TokenKeeper, type TokenKeeperOptions } from './token-keeper.js';

export interface ApiRuntime {
  readonly redis: RedisConnection;
  readonly keeper: TokenKeeper;
  readonly client: WeChatClient;
  /** Whether this process can get each account's token (logs, metrics, /readyz). */
  readonly availability: TokenAvailability;
  /** Starts refresh-ahead (and the first fetch). */
  start(): Promise<void>;
  /** Stops the keeper (waiting for its work in flight until `at`, epoch ms, at the latest) and disconnects. */
  close(options?: { at?: number }): Promise<void>;
}

/** The token keeper's options from the configuration. */
export function keeperOptions(config: Config): TokenKeeperOptions {
  const { apps, apiBase, token } = config;
  return { apps, apiBase, keys: keysOf(config), refreshAheadS: token.refreshAheadS, dailyQuota: token.dailyQuota, quotaWarnRatio: token.quotaWarnRatio };
}

export function createApiRuntime({ config, logger, metrics }: { config: Config; logger: Logger; metrics?: Metrics }, { keeper: keeperOverrides = {} }: { keeper?: Partial<TokenKeeperOptions> } = {}): ApiRuntime {
  const redis = createRedis(config, 'worker');
  redis.on('error', (err) => logger.debug({ layer: 'token', err: err.message }, 'redis connection error'));
  const availability = createTokenAvailability({ logger, metrics }, { appids: config.apps.map((a) => a.appid) });
  const keeper = createTokenKeeper({ redis, logger, availability }, { ...keeperOptions(config), ...keeperOverrides });
  const client = createWeChatClient({ tokenKeeper: keeper, logger, availability }, { apiBase: config.apiBase });
  return {
    redis,
    keeper,
    client,
    availability,
    start: () => keeper.start(),
    async close({ at }: { at?: number } = {}) {
      await keeper.stop(at === undefined ? {} : { timeoutMs: at - Date.now() });
      redis.disconnect();
    },
  };
}
