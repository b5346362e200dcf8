// Everything `wxgate worker` (and the worker half of `wxgate all`) runs: the account's handlers,
// the access-token keeper (refresh-ahead included), the API client and the two workers.
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import { loadHandlers } from '../handlers/load-handlers.js';
import type { WeChatClient } from '../wechat-api/client.js';
import { createApiRuntime } from '../wechat-api/create-api-runtime.js';
import type { TokenAvailability } from '../wechat-api/token-availability.js';
import type { TokenKeeper, TokenKeeperOptions } from '../wechat-api/token-keeper.js';
import { createWorkers, type Workers, type WorkersDeps, type WorkersOptions } from './create-workers.js';

export interface WorkerRuntime {
  readonly workers: Workers;
  readonly tokenKeeper: TokenKeeper;
  readonly client: WeChatClient;
  /** Whether this process can get each account's token (for /readyz). */
  readonly availability: TokenAvailability;
  start(): Promise<void>;
  close(): Promise<void>;
}

export interface WorkerRuntimeDeps extends Pick<WorkersDeps, 'marker'> {
  config: Config;
  logger: Logger;
  /** The process's metrics, for the token gauge and the waits counter. */
  metrics?: Metrics;
}

export interface WorkerRuntimeOptions extends WorkersOptions {
  /** The token keeper's timings (backoff…), beyond what the configuration sets. */
  keeper?: Partial<TokenKeeperOptions>;
}

export async function createWorkerRuntime({ config, logger, metrics, marker }: WorkerRuntimeDeps, { keeper, ...options }: WorkerRuntimeOptions = {}): Promise<WorkerRuntime> {
  const handlers = await loadHandlers(config.handlers);
  const api = createApiRuntime({ config, logger, metrics }, { keeper });
  const { keeper: tokenKeeper, client, availability } = api;
  const workers = createWorkers({ config, logger, handlers, client, availability, marker }, options);
  logger.info({ layer: 'worker', handlers: config.handlers ?? 'built-in demo' }, 'handlers loaded');
  return {
    workers,
    tokenKeeper,
    client,
    availability,
    async start() {
      await api.start();
      await workers.start();
    },
    async close() {
      await workers.close();
      await api.close();
    },
  };
}
