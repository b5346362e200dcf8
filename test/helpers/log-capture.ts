// Collects pino's JSON lines in memory so tests can read the log lines the code wrote.
import { createLogger, type Logger } from '../../src/logger.js';
import { checkLine } from './secrets.js';

export interface LogCapture {
  readonly logger: Logger;
  readonly lines: Record<string, unknown>[];
  /** Raw text of every line, for the secrets scan. */
  readonly raw: string[];
  find(predicate: (line: Record<string, unknown>) => boolean): Record<string, unknown> | undefined;
}

export function captureLogs(level = 'debug'): LogCapture {
  const lines: Record<string, unknown>[] = [];
  const raw: string[] = [];
  const logger = createLogger({
    level,
    destination: {
      write(chunk: string) {
        raw.push(chunk);
        checkLine(chunk);
        lines.push(JSON.parse(chunk) as Record<string, unknown>);
      },
    },
  });
  return { logger, lines, raw, find: (p) => lines.find(p) };
}
