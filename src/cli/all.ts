// `wxgate all` (what `npm start` runs): receiver, workers and the token keeper in one process,
// with one /metrics for both halves and the internal API when WXGATE_INTERNAL_TOKEN is set.
// The receiver listens first and whatever the workers' state: with Redis away the workers wait
// and retry in the background while the receiver spools (issue 14 item 7).
import { applyHeapGrowth } from '../heap-growth.js';
import { loadConfig } from '../config.js';
import { closeBy } from '../deadline.js';
import { createMetrics } from '../metrics.js';
import { createReceiver } from '../receiver/create-receiver.js';
import { attachWorkerMetrics } from '../worker/worker-metrics.js';
import { createWorkerRuntime } from '../worker/worker-runtime.js';
import { commandLogger } from './command-logger.js';
import { internalRouters, startCampaigns, tokenCollectors } from './compose.js';
import { runUntilSignal } from './run-until-signal.js';
import { commandHelp } from './variables.js';

const DESCRIPTION = `
The receiver on $HOST:$PORT and the workers in one process. The receiver takes pushes as soon
as it listens, whatever the workers' state (spooled while Redis is unreachable; the workers wait
and retry meanwhile). SIGTERM/SIGINT: the receiver stops taking connections first, then pushes
in flight and running jobs finish until shortly before WXGATE_SHUTDOWN_TIMEOUT_MS, and the
process is gone within it.`;

export async function run(argv: string[]): Promise<number> {
  if (argv.includes('--help')) {
    process.stdout.write(commandHelp('all', DESCRIPTION));
    return 0;
  }
  const config = loadConfig();
  applyHeapGrowth(config.heapGrowingPercent);
  const logger = commandLogger(config);
  const metrics = createMetrics();
  // One Redis watch for the process: the runtime's, shared with the receiver (one line per change, not two).
  const runtime = await createWorkerRuntime({ config, logger, metrics });
  attachWorkerMetrics(runtime.workers, metrics);
  const campaigns = await startCampaigns({ config, logger });
  const keeper = runtime.tokenKeeper;
  const receiver = createReceiver(
    { config, logger },
    {
      metrics,
      redisHealth: runtime.redisHealth,
      metricsQueues: runtime.workers.outboundQueues.all(),
      metricsCollectors: [...tokenCollectors({ config, keeper, metrics }), ...(campaigns ? [campaigns.collector(metrics)] : [])],
      routers: internalRouters({ config, keeper, client: runtime.client, logger, campaigns }),
      tokens: runtime.availability.all,
    },
  );
  // The port first: one that is taken stops the start (exit 78) before any worker runs.
  await receiver.listen();
  const stopped = runUntilSignal(
    logger,
    async (deadline) => {
      // The receiver stops taking connections at once (the first thing its close does), then
      // its pushes in flight and the workers' running jobs finish side by side.
      await Promise.all([receiver.close(deadline), runtime.close(deadline)]);
      if (campaigns) await closeBy(campaigns.close(), deadline.cutAt, () => campaigns.abandon());
    },
    { timeoutMs: config.shutdownTimeoutMs },
  );
  runtime.start().catch((err: Error) => logger.error({ layer: 'worker', err: err.message }, 'workers did not start'));
  return stopped;
}
