// Wires one receiver process: Redis (producer settings), the inbound queue, the spool and its
// drainer, the Koa app on its HTTP server. `listen` and `close` are all the CLI needs.
import type { Server } from 'node:http';
import { once } from 'node:events';
import type Router from '@koa/router';
import { Queue } from 'bullmq';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import { createMetrics, type Metrics } from '../metrics.js';
import { createRedis } from '../redis.js';
import { keysOf } from '../redis-keys.js';
import { createRedisHealth, type RedisHealth } from '../redis-health/create-redis-health.js';
import { batchWrites } from '../redis-write-batch.js';
import { withTimeout } from '../with-timeout.js';
import { deadlineIn, settledBy, type Deadline } from '../deadline.js';
import { INBOUND_QUEUE } from '../queue/jobs.js';
import { accountQueues, inboundRoute, queueSpots, type AccountQueues } from '../queue/account-queues.js';
import { createInboundProducer } from '../queue/inbound-producer.js';
import { createReplicaWait } from '../queue/replica-wait.js';
import { createNonceBodies } from '../queue/nonce-bodies.js';
import { createSpool } from '../queue/spool.js';
import { createSpoolDrainer } from '../queue/spool-drainer.js';
import { createAppRegistry } from './app-registry.js';
import { createPushStore } from './push-store.js';
import { createReceiverApp, type ReceiverDeps } from './app.js';
import { createMetricsRoutes } from './metrics-routes.js';
import { createDashboard } from '../admin/dashboard.js';
import { createHttpServer } from './http-server.js';
import { createPassiveSlots } from '../queue/passive-slot.js';

export interface Receiver {
  /** Binds PORT (a port in use is a ConfigError naming PORT); pushes are taken, and spooled while Redis is away, from then on. */
  listen(port?: number, host?: string): Promise<{ url: string; server: Server }>;
  /**
   * Stops taking connections at once, answers in-flight pushes with `Connection: close`, closes
   * idle connections, destroys what is still open at the deadline's cut; then the drainer, the
   * spool and the queue, each bounded by the deadline.
   */
  close(deadline?: Deadline): Promise<void>;
  /** The first inbound queue (the only one on a single Redis). */
  readonly queue: Queue;
  /** Every account's inbound queues (one per account and shard on Redis Cluster). */
  readonly queues: AccountQueues;
  readonly metrics: Metrics;
  readonly redisHealth: RedisHealth;
}

export interface ReceiverExtras {
  routers?: Router[];
  /** Shared with the workers in `wxgate all`, so one /metrics shows both. */
  metrics?: Metrics;
  /** More queues whose depth /metrics reports (the outbound queue in `wxgate all`). */
  metricsQueues?: Queue[];
  /** Figures read at scrape time (token fetches). */
  metricsCollectors?: (() => Promise<void>)[];
  /** The process's Redis watch, when another part of it runs one (`wxgate all`); else the receiver runs its own. */
  redisHealth?: RedisHealth;
  /** The workers' access_token states, for /readyz (`wxgate all`). */
  tokens?: ReceiverDeps['tokens'];
  nowS?: () => number;
}

export function createReceiver({ config, logger }: { config: Config; logger: Logger }, { routers = [], nowS, metrics = createMetrics(), metricsQueues = [], metricsCollectors = [], redisHealth: shared, tokens }: ReceiverExtras = {}): Receiver {
  const redis = batchWrites(createRedis(config, 'producer'));
  const redisHealth = shared ?? createRedisHealth({ config, logger, metrics });
  redis.on('error', (err) => logger.debug({ layer: 'receive', err: err.message }, 'redis connection error'));
  // No version check on the producer: BullMQ sends it (INFO) once, right after the connection
  // is ready, and if that one reply is lost — Redis gone in that instant — the Queue stays
  // rejected until restart: every push spooled, the spool never drained. The workers' queues
  // check the version (their commands wait out a reconnect). test/integration/spool-failover.test.ts
  const keys = keysOf(config);
  const inbound = accountQueues(keys, queueSpots(keys, config.apps, { sharded: true }), (prefix) => {
    const q = new Queue(INBOUND_QUEUE, { connection: redis, prefix, skipVersionCheck: true });
    q.on('error', (err) => logger.debug({ layer: 'receive', err: err.message }, 'queue error'));
    return q;
  });
  const route = inboundRoute(inbound, config.apps);
  const jobOptions = { attempts: config.worker.attempts };
  const spool = createSpool({ dir: config.spoolDir });
  const nonceBodies = createNonceBodies({ redis }, { keys });
  const replicaWait = config.redisWaitReplicas > 0 ? createReplicaWait({ redis }, { replicas: config.redisWaitReplicas }) : undefined;
  const drainer = createSpoolDrainer({ spool, route, redis, nonceBodies, replicaWait, logger }, jobOptions);
  const store = createPushStore(
    { producer: createInboundProducer({ route, nonceBodies, replicaWait }, { ...jobOptions, shardedAppids: new Set(config.apps.filter((a) => a.queueShards > 1).map((a) => a.appid)) }), spool },
    { timeoutMs: config.enqueueTimeoutMs },
  );
  // Only when an account waits for passive replies: mode custom's receive path is left as it was.
  const slots = config.apps.some((a) => a.replyMode !== 'custom')
    ? createPassiveSlots({ redis, subscriber: createRedis(config, 'worker'), logger }, { prefix: config.prefix, maxWaitMs: config.passive.waitMs })
    : undefined;
  const dashboard = config.dashboard && createDashboard({ logger }, { redis: config, keys, apps: config.apps, credentials: config.dashboard });
  const app = createReceiverApp(
    {
      registry: createAppRegistry(config.apps, { defaultAppid: config.defaultAppid }),
      store,
      redis,
      redisHealth,
      logger,
      metrics,
      tokens,
      routers: [createMetricsRoutes({ metrics, queues: [...inbound.all(), ...metricsQueues], collectors: metricsCollectors, redis }, { spoolDir: config.spoolDir }), ...routers],
      middleware: dashboard ? [dashboard.middleware] : [],
      slots,
    },
    { spoolDir: config.spoolDir, bodyLimitBytes: config.bodyLimitBytes, toleranceS: config.timestampToleranceS, nowS, passive: config.passive },
  );
  const http = createHttpServer(app.callback(), config.http, { portVariable: 'PORT' });
  let listening = false;

  return {
    queue: inbound.all()[0]!,
    queues: inbound,
    metrics,
    redisHealth,
    async listen(port = config.port, host = config.host) {
      // Pushes taken before the producer's connection is up would all go to the spool: give
      // Redis a moment first, but start anyway when it is down (the spool is for that).
      const watching = redisHealth.start();
      if (redis.status !== 'ready') {
        const ready = await withTimeout(once(redis, 'ready'), 5000, 'redis ready').then(() => true, () => false);
        if (!ready) logger.warn({ layer: 'receive', redis: redis.status }, 'Redis not reachable at start: pushes go to the spool until it is');
      }
      await watching;
      await slots?.start();
      const addr = await http.listen(port, host);
      listening = true;
      drainer.start();
      const url = `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${addr.port}`;
      logger.info({ layer: 'receive', url, apps: config.apps.map((a) => a.appid), modes: Object.fromEntries(config.apps.map((a) => [a.appid, a.mode])), ...(slots && { replyModes: Object.fromEntries(config.apps.map((a) => [a.appid, a.replyMode])), passiveWaitMs: config.passive.waitMs }) }, 'receiver listening');
      // compat is for the minutes of a switch in the MP console: say so while it lasts (issue 14).
      for (const { appid, mode } of config.apps) {
        if (mode === 'compat') logger.warn({ layer: 'receive', appid, mode }, 'accepting plaintext and encrypted pushes: set the target mode once the MP console is switched');
      }
      return { url, server: http.server };
    },
    async close(deadline = deadlineIn(config.shutdownTimeoutMs)) {
      if (listening) {
        const { destroyed } = await http.close(deadline);
        if (destroyed > 0) logger.warn({ layer: 'receive', connections: destroyed }, 'connections still open at the shutdown deadline: closed');
      }
      if (slots) await settledBy(slots.close(), deadline.at);
      await settledBy(drainer.stop(), deadline.at);
      await settledBy(spool.close(), deadline.at);
      await settledBy(inbound.close(), deadline.at);
      if (dashboard) await settledBy(dashboard.close(), deadline.at);
      redis.disconnect();
      if (!shared) await settledBy(redisHealth.close(), deadline.at);
    },
  };
}
