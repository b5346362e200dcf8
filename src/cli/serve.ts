// `wxgate serve`: the receiver alone (run several behind nginx; workers run elsewhere). With
// WXGATE_INTERNAL_TOKEN set it also serves the internal token API, with a keeper of its own
// (the Redis lock keeps it to one fetch however many processes run one).
import { applyHeapGrowth } from '../heap-growth.js';
import { loadConfig } from '../config.js';
import { closeBy } from '../deadline.js';
import { createMetrics } from '../metrics.js';
import { createReceiver } from '../receiver/create-receiver.js';
import { createApiRuntime } from '../wechat-api/create-api-runtime.js';
import { commandLogger } from './command-logger.js';
import { internalRouters, startCampaigns, tokenCollectors } from './compose.js';
import { runUntilSignal } from './run-until-signal.js';
import { commandHelp } from './variables.js';

const DESCRIPTION = `
Starts the receiver on $HOST:$PORT: verifies WeChat's pushes, answers "success" and queues them in
Redis (in the local spool while Redis is unreachable). SIGTERM/SIGINT: no new connections, the
pushes in flight are answered (with Connection: close), and the process is gone within
WXGATE_SHUTDOWN_TIMEOUT_MS whatever the clients do.`;

export async function run(argv: string[]): Promise<number> {
  if (argv.includes('--help')) {
    process.stdout.write(commandHelp('serve', DESCRIPTION));
    return 0;
  }
  const config = loadConfig();
  applyHeapGrowth(config.heapGrowingPercent);
  const logger = commandLogger(config);
  const metrics = createMetrics();
  const api = config.internalToken ? createApiRuntime({ config, logger }) : undefined;
  const campaigns = await startCampaigns({ config, logger });
  const receiver = createReceiver(
    { config, logger },
    api
      ? {
          metrics,
          metricsCollectors: [...tokenCollectors({ config, keeper: api.keeper, metrics }), ...(campaigns ? [campaigns.collector(metrics)] : [])],
          routers: internalRouters({ config, keeper: api.keeper, client: api.client, logger, campaigns }),
        }
      : { metrics },
  );
  await receiver.listen();
  // In the background: the first token fetch waits for Redis, the receiver does not.
  api?.start().catch((err: Error) => logger.error({ layer: 'token', err: err.message }, 'token keeper did not start'));
  return runUntilSignal(
    logger,
    async (deadline) => {
      await receiver.close(deadline);
      if (api) await closeBy(api.close({ at: deadline.cutAt }), deadline.cutAt, () => api.redis.disconnect());
      if (campaigns) await closeBy(campaigns.close(), deadline.cutAt, () => campaigns.abandon());
    },
    { timeoutMs: config.shutdownTimeoutMs },
  );
}
