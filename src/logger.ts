// pino root logger. Objects first, message second: log.info({ openid, ms }, 'acked').
// Secrets are redacted by key wherever they appear (https://getpino.io/#/docs/redaction).
import { pino, type DestinationStream, type Logger } from 'pino';
import { createLineBuffer, type LineSink } from './line-buffer.js';
import { createLogFile } from './log-file.js';

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
  'password',
] as const;

/** Objects that may carry secrets one level down (an account, a request, an API body). */
const CONTAINERS = ['app', 'config', 'account', 'headers', 'body', 'query', 'params', 'err'] as const;

// Explicit paths only: fast-redact compiles them into plain property writes, while wildcard
// paths (`*.*.token`) cost more than the rest of a receive line put together (bench/ profile).
// Every path is checked on every line, the receive line included: only where a secret can be
// (the queue dashboard's credential sits one level further down, in config.dashboard).
const REDACT_PATHS = [...SECRET_KEYS.flatMap((k) => [k, ...CONTAINERS.map((c) => `${c}.${k}`)]), 'config.dashboard.password'];

export interface CreateLoggerOptions {
  level?: string;
  /** A stream (tests collect lines) or a file path (written as named, rotated: log-file.ts). */
  destination?: DestinationStream | string;
  /** With a file path: stdout gets every line too. */
  alsoStdout?: boolean;
  base?: Record<string, unknown>;
}

export function createLogger({ level = 'info', destination, alsoStdout = false, base = {} }: CreateLoggerOptions = {}): Logger {
  const options = {
    level,
    base: { pid: process.pid, ...base },
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.epochTime,
  };
  if (typeof destination === 'object') return pino(options, destination);
  const sinks = typeof destination === 'string' ? [createLogFile({ file: destination }), ...(alsoStdout ? [stdoutSink()] : [])] : [stdoutSink()];
  return pino(options, bufferedLines(sinks.length === 1 ? sinks[0]! : tee(sinks)));
}

/** stdout through sonic-boom. minLength 0: it writes each chunk it is handed at once (or with the next write, while one is in flight). */
const stdoutSink = (): LineSink => pino.destination({ dest: 1, sync: false, minLength: 0 });

const tee = (sinks: LineSink[]): LineSink => ({
  write(chunk) {
    for (const s of sinks) s.write(chunk);
    return true;
  },
  flushSync() {
    for (const s of sinks) s.flushSync();
  },
});

/**
 * Lines written in chunks of up to 4 KiB rather than one write(2) per line: on the receive path a
 * write per line cost more than the rest of the log line (bench/README.md). The lines are
 * collected by a line buffer (line-buffer.ts says why sonic-boom does not collect them itself),
 * which hands them over within 50 ms. At exit — process.exit, the end of the event loop, an
 * uncaught exception — the pending lines go to sonic-boom before its synchronous flush.
 */
function bufferedLines(sink: LineSink): DestinationStream {
  const lines = createLineBuffer({ sink });
  // Before sonic-boom's own exit flush (registered when it was created), and a synchronous one
  // of our own for a log file opened since. A sink already ended (EPIPE, closed stdout) throws
  // on write, which must not turn into an exit-time crash.
  process.prependListener('exit', () => {
    try {
      lines.flushSync();
    } catch {
      // nothing more can be written there
    }
  });
  return lines;
}

/** A short, non-reversible fingerprint to log in place of a token or secret. */
export { fingerprint } from './fingerprint.js';
