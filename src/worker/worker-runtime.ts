// Everything `wxgate worker` (and the worker half of `wxgate all`) runs: the account's handlers,
// the access-token keeper (refresh-ahead included), the API client and the two workers.
import type { Config } from '../config.js';
import { closeBy, deadlineIn, type Deadline } from '../deadline.js';
import type { Logger } from '../logger.js';
import { loadHandlers } from '../handlers/load-handlers.js';
import { watchRedisState } from '../redis-state-log.js';
import type { WeChatClient } from '../wechat-api/client.js';
import { createApiRuntime } from '../wechat-api/create-api-runtime.js';
import type { TokenKeeper } from '../wechat-api/token-keeper.js';
import { createWorkers, type Workers, type WorkersOptions } from './create-workers.js';

export interface WorkerRuntime {
  readonly workers: Workers;
  readonly tokenKeeper: TokenKeeper;
  readonly client: WeChatClient;
  /**
   * Starts the keeper and the workers side by side; resolves once the workers are running. While
   * Redis is away that is when it comes back (they wait and retry): `all` does not wait for it.
   */
  start(): Promise<void>;
  /** Within the deadline whatever Redis does (see Workers.close). */
  close(deadline?: Deadline): Promise<void>;
}

export async function createWorkerRuntime({ config, logger }: { config: Config; logger: Logger }, options: WorkersOptions = {}): Promise<WorkerRuntime> {
  const handlers = await loadHandlers(config.handlers);
  const api = createApiRuntime({ config, logger });
  const { keeper: tokenKeeper, client } = api;
  const workers = createWorkers({ config, logger, handlers, client }, options);
  watchRedisState(workers.redis, logger.child({ layer: 'worker' }), { what: 'workers' });
  logger.info({ layer: 'worker', handlers: config.handlers ?? 'built-in demo' }, 'handlers loaded');
  return {
    workers,
    tokenKeeper,
    client,
    async start() {
      // The first token fetch does not hold the workers back: a send asks the keeper itself.
      await Promise.all([api.start(), workers.start()]);
    },
    async close(deadline = deadlineIn(config.shutdownTimeoutMs)) {
      await workers.close(deadline);
      // The keeper waits for its fetches, which wait for Redis: past the cut, drop them.
      await closeBy(api.close(), deadline.cutAt, () => api.redis.disconnect());
    },
  };
}
