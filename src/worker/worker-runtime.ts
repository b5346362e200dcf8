// Everything `wxgate worker` (and the worker half of `wxgate all`) runs: the account's handlers,
// the access-token keeper (refresh-ahead included), the API client and the two workers.
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import { loadHandlers } from '../handlers/load-handlers.js';
import type { WeChatClient } from '../wechat-api/client.js';
import { createApiRuntime } from '../wechat-api/create-api-runtime.js';
import type { TokenKeeper } from '../wechat-api/token-keeper.js';
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
  const api = createApiRuntime({ config, logger });
  const { keeper: tokenKeeper, client } = api;
  const workers = createWorkers({ config, logger, handlers, client }, options);
  logger.info({ layer: 'worker', handlers: config.handlers ?? 'built-in demo' }, 'handlers loaded');
  return {
    workers,
    tokenKeeper,
    client,
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
