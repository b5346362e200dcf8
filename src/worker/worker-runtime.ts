// Everything `wxgate worker` (and the worker half of `wxgate all`) runs: the account's handlers,
// the access-token keeper (refresh-ahead included), the API client and the two workers.
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import { createRedis } from '../redis.js';
import { loadHandlers } from '../handlers/load-handlers.js';
import { createWeChatClient, type WeChatClient } from '../wechat-api/client.js';
import { keeperOptions } from '../wechat-api/keeper-options.js';
import { createTokenKeeper, type TokenKeeper } from '../wechat-api/token-keeper.js';
import { createWorkers, type Workers, type WorkersOptions } from './create-workers.js';

export interface WorkerRuntime {
  readonly workers: Workers;
  readonly tokenKeeper: TokenKeeper;
  readonly client: WeChatClient;
  start(): Promise<void>;
  close(): Promise<void>;
}

export async function createWorkerRuntime({ config, logger }: { config: Config; logger: Logger }, options: WorkersOptions = {}): Promise<WorkerRuntime> {
  const handlers = await loadHandlers(config.handlers);
  const redis = createRedis(config.redisUrl, 'worker');
  redis.on('error', (err) => logger.debug({ layer: 'token', err: err.message }, 'redis connection error'));
  const tokenKeeper = createTokenKeeper(
    { redis, logger },
    keeperOptions(config),
  );
  const client = createWeChatClient({ tokenKeeper, logger }, { apiBase: config.apiBase });
  const workers = createWorkers({ config, logger, handlers, client }, options);
  logger.info({ layer: 'worker', handlers: config.handlers ?? 'built-in demo' }, 'handlers loaded');
  return {
    workers,
    tokenKeeper,
    client,
    async start() {
      await tokenKeeper.start();
      await workers.start();
    },
    async close() {
      await workers.close();
      await tokenKeeper.stop();
      redis.disconnect();
    },
  };
}
