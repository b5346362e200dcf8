// `wxgate worker`: the workers alone (run several on any number of machines; receivers elsewhere).
import { loadConfig } from '../config.js';
import { createLogger } from '../logger.js';
import { createWorkerRuntime } from '../worker/worker-runtime.js';
import { runUntilSignal } from './run-until-signal.js';

export async function run(argv: string[]): Promise<number> {
  if (argv.includes('--help')) {
    process.stdout.write(
      'usage: wxgate worker\n\nRuns the account\'s handlers (WXGATE_HANDLERS) on the inbound queue and sends their replies\n' +
        'from the outbound queue. SIGTERM/SIGINT: running jobs finish, then the process exits.\n',
    );
    return 0;
  }
  const config = loadConfig();
  const logger = createLogger({ level: config.logLevel, destination: config.logFile });
  const runtime = await createWorkerRuntime({ config, logger });
  await runtime.start();
  return runUntilSignal(logger, () => runtime.close());
}
