// Everything `wxgate worker` (and the worker half of `wxgate all`) runs: the account's handlers,
// the access-token keeper (refresh-ahead included), the API client, the two workers and the
// process's watch on Redis (src/redis-health), unless it is handed one.
import type { Config } from '../config.js';
import { closeBy, deadlineIn, settledBy, type Deadline } from '../deadline.js';
import type { Logger } from '../logger.js';
import { createMetrics, type Metrics } from '../metrics.js';
import { createRedisHealth, type RedisHealth } from '../redis-health/create-redis-health.js';
import { loadHandlers } from '../handlers/load-handlers.js';
import { watchRedisState } from '../redis-state-log.js';
import type { WeChatClient } from '../wechat-api/client.js';
import { createApiRuntime } from '../wechat-api/create-api-runtime.js';
import type { TokenAvailability } from '../wechat-api/token-availability.js';
import type { TokenKeeper, TokenKeeperOptions } from '../wechat-api/token-keeper.js';
import { createWorkers, type Workers, type WorkersDeps, type WorkersOptions } from './create-workers.js';
import { withTemplateReports } from '../campaigns/delivery-reports.js';
import { createTemplateRuntime, type TemplateRuntime, type TemplateRuntimeOptions } from '../campaigns/template-runtime.js';

export interface WorkerRuntime {
  readonly workers: Workers;
  readonly tokenKeeper: TokenKeeper;
  readonly client: WeChatClient;
  /** Whether this process can get each account's token (for /readyz). */
  readonly availability: TokenAvailability;
  readonly redisHealth: RedisHealth;
  /** The message centre's template worker, when WXGATE_DATABASE_URL is set. */
  readonly templates?: TemplateRuntime;
  /**
   * Starts the Redis watch, the keeper and the workers side by side; resolves once all run. While
   * Redis is away that is when it comes back (the workers wait and retry): `all` does not wait.
   */
  start(): Promise<void>;
  /** Within the deadline whatever Redis does (see Workers.close). */
  close(deadline?: Deadline): Promise<void>;
}

export interface WorkerRuntimeDeps extends Pick<WorkersDeps, 'marker'> {
  config: Config;
  logger: Logger;
  /** Where the Redis watch counts, and the token gauge and waits counter (the workers' own figures are attached by the caller). */
  metrics?: Metrics;
  /** The process's Redis watch, when it runs one already; else the runtime runs (and closes) its own. */
  redisHealth?: RedisHealth;
}

export interface WorkerRuntimeOptions extends WorkersOptions {
  /** The token keeper's timings (backoff…), beyond what the configuration sets. */
  keeper?: Partial<TokenKeeperOptions>;
  /** The template worker's options, or false for none (default: one when WXGATE_DATABASE_URL is set). */
  templates?: TemplateRuntimeOptions | false;
}

export async function createWorkerRuntime(
  { config, logger, metrics = createMetrics({ processMetrics: false }), redisHealth: shared, marker }: WorkerRuntimeDeps,
  { keeper, templates: templateOptions = {}, ...options }: WorkerRuntimeOptions = {},
): Promise<WorkerRuntime> {
  const handlers = await loadHandlers(config.handlers);
  const redisHealth = shared ?? createRedisHealth({ config, logger, metrics });
  const api = createApiRuntime({ config, logger, metrics }, { keeper });
  const { keeper: tokenKeeper, client, availability } = api;
  const templates = config.campaigns.databaseUrl && templateOptions !== false ? createTemplateRuntime({ config, logger, client, availability, metrics }, templateOptions) : undefined;
  // TEMPLATESENDJOBFINISH pushes are matched to their sends before the account's handlers run.
  const router = templates ? withTemplateReports(handlers.router, templates.recordReport) : handlers.router;
  const workers = createWorkers({ config, logger, handlers: { ...handlers, router }, client, availability, marker }, options);
  watchRedisState(workers.redis, logger.child({ layer: 'worker' }), { what: 'workers' });
  logger.info({ layer: 'worker', handlers: config.handlers ?? 'built-in demo' }, 'handlers loaded');
  return {
    workers,
    tokenKeeper,
    client,
    availability,
    redisHealth,
    templates,
    async start() {
      // The first token fetch does not hold the workers back: a send asks the keeper itself.
      await Promise.all([redisHealth.start(), api.start(), workers.start(), templates?.start()]);
    },
    async close(deadline = deadlineIn(config.shutdownTimeoutMs)) {
      // The inbound worker records delivery reports through the template runtime's writer: it closes first.
      await workers.close(deadline);
      await templates?.close(deadline);
      // The keeper waits for its fetches, which wait for Redis: past the cut, drop them.
      await closeBy(api.close({ at: deadline.cutAt }), deadline.cutAt, () => api.redis.disconnect());
      if (!shared) await settledBy(redisHealth.close(), deadline.at);
    },
  };
}
