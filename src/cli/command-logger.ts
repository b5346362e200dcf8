// The root logger of a command that runs until stopped (serve, worker, all, mock-wechat): stdout,
// or WXGATE_LOG_FILE (and stdout too with WXGATE_LOG_STDOUT=1). An uncaught exception is logged
// as a fatal line before Node's own report and exit, and the exit flush (logger.ts) writes it out
// with every line still pending (issue 14 item 8).
import type { Config } from '../config.js';
import { createLogger, type Logger } from '../logger.js';

export function commandLogger(config: Config): Logger {
  const logger = createLogger({ level: config.logLevel, destination: config.logFile, alsoStdout: config.logStdout });
  // The monitor only watches: Node still prints the stack and exits with code 1.
  process.on('uncaughtExceptionMonitor', (err, origin) => logger.fatal({ err, origin }, 'uncaught exception: exiting'));
  return logger;
}
