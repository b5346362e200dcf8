// `wxgate serve`: the receiver alone (run several behind nginx; workers run elsewhere).
import { loadConfig } from '../config.js';
import { createLogger } from '../logger.js';
import { createReceiver } from '../receiver/create-receiver.js';
import { runUntilSignal } from './run-until-signal.js';

export async function run(argv: string[]): Promise<number> {
  if (argv.includes('--help')) {
    process.stdout.write('usage: wxgate serve\n\nStarts the receiver on $HOST:$PORT (see README for the variables).\n');
    return 0;
  }
  const config = loadConfig();
  const logger = createLogger({ level: config.logLevel, destination: config.logFile });
  const receiver = createReceiver({ config, logger });
  await receiver.listen();
  return runUntilSignal(logger, () => receiver.close());
}
