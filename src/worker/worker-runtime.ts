// Everything `wxgate worker` (and the worker half of `wxgate all`) runs: the account's handlers,
// the access-token keeper (refresh-ahead included), the API client, the two workers and the
// process's watch on Redis (src/redis-health), unless it is handed one.
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import { createMetrics, type Metrics } from '../metrics.js';
import { createRedisHealth, type RedisHealth } from '../redis-health/create-redis-health.js';
import { loadHandlers } from '../handlers/load-handlers.js';
import type { WeChatClient } from '../wechat-api/client.js';
import { createApiRuntime } from '../wechat-api/create-api-runtime.js';
import type { TokenKeeper } from '../wechat-api/token-keeper.js';
import { createWorkers, type Workers, type WorkersOptions } from './create-workers.js';

export interface WorkerRuntime {
  readonly workers: Workers;
  readonly tokenKeeper: TokenKeeper;
  readonly client: WeChatClient;
  readonly redisHealth: RedisHealth;
  start(): Promise<void>;
  close(): Promise<void>;
}

export interface WorkerRuntimeDeps {
  config: Config;
  logger: Logger;
  /** Where the Redis watch counts (the workers' own figures are attached by the caller). */
  metrics?: Metrics;
  /** The process's Redis watch, when it runs one already; else the runtime runs (and closes) its own. */
  redisHealth?: RedisHealth;
}

export async function createWorkerRuntime(
  { config, logger, metrics = createMetrics({ processMetrics: false }), redisHealth: shared }: WorkerRuntimeDeps,
  options: WorkersOptions = {},
): Promise<WorkerRuntime> {
  const handlers = await loadHandlers(config.handlers);
  const redisHealth = shared ?? createRedisHealth({ config, logger, metrics });
  const api = createApiRuntime({ config, logger });
  const { keeper: tokenKeeper, client } = api;
  const workers = createWorkers({ config, logger, handlers, client }, options);
  logger.info({ layer: 'worker', handlers: config.handlers ?? 'built-in demo' }, 'handlers loaded');
  return {
    workers,
    tokenKeeper,
    client,
    redisHealth,
    async start() {
      await Promise.all([redisHealth.start(), api.start()]);
      await workers.start();
    },
    async close() {
      await workers.close();
      await api.close();
      if (!shared) await redisHealth.close();
    },
  };
}
