// `wxgate all` (what `npm start` runs): receiver, workers and the token keeper in one process,
// with one /metrics for both halves and the internal API when WXGATE_INTERNAL_TOKEN is set.
import { loadConfig } from '../config.js';
import { createLogger } from '../logger.js';
import { createMetrics } from '../metrics.js';
import { createReceiver } from '../receiver/create-receiver.js';
import { attachWorkerMetrics } from '../worker/worker-metrics.js';
import { createWorkerRuntime } from '../worker/worker-runtime.js';
import { internalRouters, tokenCollectors } from './compose.js';
import { runUntilSignal } from './run-until-signal.js';

export async function run(argv: string[]): Promise<number> {
  if (argv.includes('--help')) {
    process.stdout.write('usage: wxgate all\n\nThe receiver on $HOST:$PORT and the workers in one process (see README for the variables).\n');
    return 0;
  }
  const config = loadConfig();
  const logger = createLogger({ level: config.logLevel, destination: config.logFile });
  const metrics = createMetrics();
  // One Redis watch for the process: the runtime's, shared with the receiver (one line per change, not two).
  const runtime = await createWorkerRuntime({ config, logger, metrics });
  attachWorkerMetrics(runtime.workers, metrics);
  await runtime.start();
  const keeper = runtime.tokenKeeper;
  const receiver = createReceiver(
    { config, logger },
    {
      metrics,
      redisHealth: runtime.redisHealth,
      metricsQueues: [runtime.workers.outboundQueue],
      metricsCollectors: tokenCollectors({ config, keeper, metrics }),
      routers: internalRouters({ config, keeper, client: runtime.client, logger }),
      tokens: runtime.availability.all,
    },
  );
  await receiver.listen();
  return runUntilSignal(logger, async () => {
    // Stop taking pushes first, then let the running handlers finish.
    await receiver.close();
    await runtime.close();
  });
}
