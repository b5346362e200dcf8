// `wxgate worker`: the workers alone (run several on any number of machines; receivers elsewhere).
// With WXGATE_METRICS_PORT set it serves /healthz, /readyz and /metrics there.
import Koa from 'koa';
import { applyHeapGrowth } from '../heap-growth.js';
import { loadConfig } from '../config.js';
import { createMetrics } from '../metrics.js';
import { createHealthRoutes } from '../receiver/health-routes.js';
import { createHttpServer, type HttpServer } from '../receiver/http-server.js';
import { createMetricsRoutes } from '../receiver/metrics-routes.js';
import { attachWorkerMetrics } from '../worker/worker-metrics.js';
import { createWorkerRuntime, type WorkerRuntime } from '../worker/worker-runtime.js';
import type { Config } from '../config.js';
import type { Metrics } from '../metrics.js';
import { commandLogger } from './command-logger.js';
import { tokenCollectors } from './compose.js';
import { runUntilSignal } from './run-until-signal.js';
import { commandHelp } from './variables.js';

const DESCRIPTION = `
Runs the account's handlers (WXGATE_HANDLERS) on the inbound queue and sends their replies from
the outbound queue. While Redis is unreachable the workers wait and retry (one log line when it
goes, one when it is back). SIGTERM/SIGINT: no new jobs; running ones finish until shortly
before WXGATE_SHUTDOWN_TIMEOUT_MS, what is left goes to another worker once its lock expires,
and the process is gone within the deadline whatever Redis does.
WXGATE_METRICS_PORT set: /healthz, /readyz and /metrics on that port.`;

async function serveMetrics(config: Config, runtime: WorkerRuntime, metrics: Metrics, port: number): Promise<HttpServer> {
  const app = new Koa();
  const routers = [
    createHealthRoutes({ redis: runtime.workers.redis, redisHealth: runtime.redisHealth, tokens: runtime.availability.all }, { spoolDir: config.spoolDir }),
    createMetricsRoutes({ metrics, queues: runtime.workers.outboundQueues.all(), collectors: tokenCollectors({ config, keeper: runtime.tokenKeeper, metrics }), redis: runtime.workers.redis }, { spoolDir: config.spoolDir }),
  ];
  for (const r of routers) app.use(r.routes()).use(r.allowedMethods());
  const http = createHttpServer(app.callback(), config.http, { portVariable: 'WXGATE_METRICS_PORT' });
  await http.listen(port, config.host);
  return http;
}

export async function run(argv: string[]): Promise<number> {
  if (argv.includes('--help')) {
    process.stdout.write(commandHelp('worker', DESCRIPTION));
    return 0;
  }
  const config = loadConfig();
  applyHeapGrowth(config.heapGrowingPercent);
  const logger = commandLogger(config);
  const metrics = createMetrics();
  const runtime = await createWorkerRuntime({ config, logger, metrics });
  attachWorkerMetrics(runtime.workers, metrics);
  // The port first: one that is taken stops the start (exit 78) before any worker runs.
  const server = config.metricsPort ? await serveMetrics(config, runtime, metrics, config.metricsPort) : undefined;
  const stopped = runUntilSignal(
    logger,
    async (deadline) => {
      await Promise.all([server?.close(deadline), runtime.close(deadline)]);
    },
    { timeoutMs: config.shutdownTimeoutMs },
  );
  // Not awaited: while Redis is away the start waits for it, and a SIGTERM meanwhile still stops us.
  runtime.start().catch((err: Error) => logger.error({ layer: 'worker', err: err.message }, 'workers did not start'));
  return stopped;
}
