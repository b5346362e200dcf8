// `wxgate serve`: the receiver alone (run several behind nginx; workers run elsewhere). With
// WXGATE_INTERNAL_TOKEN set it also serves the internal token API, with a keeper of its own
// (the Redis lock keeps it to one fetch however many processes run one).
import { loadConfig } from '../config.js';
import { createLogger } from '../logger.js';
import { createMetrics } from '../metrics.js';
import { createReceiver } from '../receiver/create-receiver.js';
import { createRedis } from '../redis.js';
import { createWeChatClient } from '../wechat-api/client.js';
import { keeperOptions } from '../wechat-api/keeper-options.js';
import { createTokenKeeper } from '../wechat-api/token-keeper.js';
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
  const redis = config.internalToken ? createRedis(config.redisUrl, 'worker') : undefined;
  redis?.on('error', (err) => logger.debug({ layer: 'token', err: err.message }, 'redis connection error'));
  const keeper = redis
    ? createTokenKeeper(
        { redis, logger },
        keeperOptions(config),
      )
    : undefined;
  const receiver = createReceiver(
    { config, logger },
    keeper
      ? {
          metrics,
          metricsCollectors: tokenCollectors({ config, keeper, metrics }),
          routers: internalRouters({ config, keeper, client: createWeChatClient({ tokenKeeper: keeper, logger }, { apiBase: config.apiBase }), logger }),
        }
      : { metrics },
  );
  await keeper?.start();
  await receiver.listen();
  return runUntilSignal(logger, async () => {
    await receiver.close();
    await keeper?.stop();
    redis?.disconnect();
  });
}
