// wxgate's receiver without the enqueue: the same createReceiverApp (routes, verification, the
// receive log line, metrics) with a push store that answers at once instead of adding the job
// to Redis. Against co-wechat with an empty handler it measures the work both do (a target of
// issue 16: ≥ 1.1× by CPU per push); beside wxgate plaintext it says what the durable enqueue
// adds to a push. Never a product mode: nothing here is reachable from the wxgate binary.
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import { createMetrics } from '../../src/metrics.js';
import { createRedis } from '../../src/redis.js';
import { createRedisHealth } from '../../src/redis-health/create-redis-health.js';
import { createAppRegistry } from '../../src/receiver/app-registry.js';
import { createReceiverApp } from '../../src/receiver/app.js';
import type { PushStore } from '../../src/receiver/push-store.js';
import { announce } from './announce.js';

const config = loadConfig();
const logger = createLogger({ level: config.logLevel, destination: config.logFile });
const store: PushStore = { store: async () => ({ outcome: 'acked', ms: 0 }), reserve: async () => undefined };
// Only /readyz uses the connection; pushes never reach Redis. The Redis watch runs as in wxgate.
const redis = createRedis(config.redisUrl, 'producer');
const metrics = createMetrics();
const redisHealth = createRedisHealth({ config, logger, metrics });
await redisHealth.start();
const app = createReceiverApp(
  { registry: createAppRegistry(config.apps, { defaultAppid: config.defaultAppid }), store, redis, redisHealth, logger, metrics },
  { spoolDir: config.spoolDir, bodyLimitBytes: config.bodyLimitBytes, toleranceS: config.timestampToleranceS },
);
const server = app.listen(0, '127.0.0.1', () => announce((server.address() as { port: number }).port));
process.on('SIGTERM', () => process.exit(0));
