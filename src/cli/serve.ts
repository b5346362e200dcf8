// `wxgate serve`: the receiver alone (run several behind nginx; workers run elsewhere). With
// WXGATE_INTERNAL_TOKEN set it also serves the internal token API, with a keeper of its own
// (the Redis lock keeps it to one fetch however many processes run one).
import { loadConfig } from '../config.js';
import { createLogger } from '../logger.js';
import { createMetrics } from '../metrics.js';
import { createReceiver } from '../receiver/create-receiver.js';
import { createApiRuntime } from '../wechat-api/create-api-runtime.js';
import { internalRouters, tokenCollectors } from './compose.js';
import { runUntilSignal } from './run-until-signal.js';

export async function run(argv: string[]): Promise<number> {
  if (argv.includes('--help')) {
    process.stdout.write('usage: wxgate serve\n\nStarts the receiver on $HOST:$PORT (see README for the variables).\n');
    return 0;
  }
  const config = loadConfig();
  const logger = createLogger({ level: config.logLevel, destination: config.logFile });
  const metrics = createMetrics();
  const api = config.internalToken ? createApiRuntime({ config, logger }) : undefined;
  const receiver = createReceiver(
    { config, logger },
    api
      ? {
          metrics,
          metricsCollectors: tokenCollectors({ config, keeper: api.keeper, metrics }),
          routers: internalRouters({ config, keeper: api.keeper, client: api.client, logger }),
        }
      : { metrics },
  );
  await api?.start();
  await receiver.listen();
  return runUntilSignal(logger, async () => {
    await receiver.close();
    await api?.close();
  });
}
