// pino root logger. Objects first, message second: log.info({ openid, ms }, 'acked').
// Secrets are redacted by key wherever they appear (https://getpino.io/#/docs/redaction).
import { pino, type DestinationStream, type Logger } from 'pino';
import { createLineBuffer } from './line-buffer.js';

export type { Logger };

/** Keys whose values must never reach a log line. */
export const SECRET_KEYS = [
  'appsecret',
  'secret',
  'token',
  'access_token',
  'accessToken',
  'encodingAESKey',
  'encodingAESKeyPrevious',
  'aesKey',
  'internalToken',
  'authorization',
  'stale_token',
  'staleToken',
] as const;

/** Objects that may carry secrets one level down (an account, a request, an API body). */
const CONTAINERS = ['app', 'config', 'account', 'headers', 'body', 'query', 'params', 'err'] as const;

// Explicit paths only: fast-redact compiles them into plain property writes, while wildcard
// paths (`*.*.token`) cost more than the rest of a receive line put together (bench/ profile).
const REDACT_PATHS = SECRET_KEYS.flatMap((k) => [k, ...CONTAINERS.map((c) => `${c}.${k}`)]);

export interface CreateLoggerOptions {
  level?: string;
  /** A stream (tests collect lines) or a file path (rotated daily and by size via pino-roll). */
  destination?: DestinationStream | string;
  base?: Record<string, unknown>;
}

export function createLogger({ level = 'info', destination, base = {} }: CreateLoggerOptions = {}): Logger {
  const options = {
    level,
    base: { pid: process.pid, ...base },
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.epochTime,
  };
  if (typeof destination === 'string') {
    const transport = pino.transport({
      target: 'pino-roll',
      options: { file: destination, frequency: 'daily', size: '100m', mkdir: true, limit: { count: 14 } },
    });
    return pino(options, transport);
  }
  return pino(options, destination ?? bufferedStdout());
}

/**
 * stdout, written in 4 KiB chunks rather than one write(2) per line: on the receive path a
 * write per line cost more than the rest of the log line (bench/README.md). The lines are
 * collected by a line buffer (line-buffer.ts says why sonic-boom does not collect them itself).
 * A timer hands over what is pending every `flushMs`, so a quiet process still shows its lines
 * within a second; at exit the pending lines go to sonic-boom before its synchronous flush.
 */
function bufferedStdout(flushMs = 1000): DestinationStream {
  // minLength 0: sonic-boom writes each chunk it is handed at once (or with the next write, while one is in flight).
  const sink = pino.destination({ dest: 1, sync: false, minLength: 0 });
  const lines = createLineBuffer({ sink });
  setInterval(() => lines.flush(), flushMs).unref();
  // sonic-boom registered its exit flush when it was created: run before it. A sink already
  // ended (EPIPE, closed stdout) throws on write, which must not turn into an exit-time crash.
  process.prependListener('exit', () => {
    try {
      lines.flush();
    } catch {
      // nothing more can be written to stdout
    }
  });
  return lines;
}

/** A short, non-reversible fingerprint to log in place of a token or secret. */
export { fingerprint } from './fingerprint.js';
