// `wxgate all` (what `npm start` runs): receiver, workers and the token keeper in one process.
import { loadConfig } from '../config.js';
import { createLogger } from '../logger.js';
import { createReceiver } from '../receiver/create-receiver.js';
import { createWorkerRuntime } from '../worker/worker-runtime.js';
import { runUntilSignal } from './run-until-signal.js';

export async function run(argv: string[]): Promise<number> {
  if (argv.includes('--help')) {
    process.stdout.write('usage: wxgate all\n\nThe receiver on $HOST:$PORT and the workers in one process (see README for the variables).\n');
    return 0;
  }
  const config = loadConfig();
  const logger = createLogger({ level: config.logLevel, destination: config.logFile });
  const runtime = await createWorkerRuntime({ config, logger });
  await runtime.start();
  const receiver = createReceiver({ config, logger });
  await receiver.listen();
  return runUntilSignal(logger, async () => {
    // Stop taking pushes first, then let the running handlers finish.
    await receiver.close();
    await runtime.close();
  });
}
