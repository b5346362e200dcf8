// `wxgate worker`: the workers alone (run several on any number of machines; receivers elsewhere).
// With WXGATE_METRICS_PORT set it serves /healthz, /readyz and /metrics there.
import { once } from 'node:events';
import type { Server } from 'node:http';
import Koa from 'koa';
import { loadConfig } from '../config.js';
import { createLogger } from '../logger.js';
import { createMetrics } from '../metrics.js';
import { createHealthRoutes } from '../receiver/health-routes.js';
import { createMetricsRoutes } from '../receiver/metrics-routes.js';
import { attachWorkerMetrics } from '../worker/worker-metrics.js';
import { createWorkerRuntime, type WorkerRuntime } from '../worker/worker-runtime.js';
import type { Config } from '../config.js';
import type { Metrics } from '../metrics.js';
import { tokenCollectors } from './compose.js';
import { runUntilSignal } from './run-until-signal.js';

async function serveMetrics(config: Config, runtime: WorkerRuntime, metrics: Metrics, port: number): Promise<Server> {
  const app = new Koa();
  const routers = [
    createHealthRoutes({ redis: runtime.workers.redis, redisHealth: runtime.redisHealth, tokens: runtime.availability.all }, { spoolDir: config.spoolDir }),
    createMetricsRoutes({ metrics, queues: [runtime.workers.outboundQueue], collectors: tokenCollectors({ config, keeper: runtime.tokenKeeper, metrics }) }, { spoolDir: config.spoolDir }),
  ];
  for (const r of routers) app.use(r.routes()).use(r.allowedMethods());
  const server = app.listen(port, config.host);
  await once(server, 'listening');
  return server;
}

export async function run(argv: string[]): Promise<number> {
  if (argv.includes('--help')) {
    process.stdout.write(
      'usage: wxgate worker\n\nRuns the account\'s handlers (WXGATE_HANDLERS) on the inbound queue and sends their replies\n' +
        'from the outbound queue. SIGTERM/SIGINT: running jobs finish, then the process exits.\n' +
        'WXGATE_METRICS_PORT set: /healthz, /readyz and /metrics on that port.\n',
    );
    return 0;
  }
  const config = loadConfig();
  const logger = createLogger({ level: config.logLevel, destination: config.logFile });
  const metrics = createMetrics();
  const runtime = await createWorkerRuntime({ config, logger, metrics });
  attachWorkerMetrics(runtime.workers, metrics);
  await runtime.start();
  const server = config.metricsPort ? await serveMetrics(config, runtime, metrics, config.metricsPort) : undefined;
  return runUntilSignal(logger, async () => {
    server?.close();
    await runtime.close();
  });
}
