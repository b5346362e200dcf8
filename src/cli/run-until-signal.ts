import type { Logger } from '../logger.js';

/** Resolves with exit code 0 after SIGTERM/SIGINT has been handled by `close` (graceful stop). */
export function runUntilSignal(logger: Logger, close: () => Promise<void>): Promise<number> {
  return new Promise((resolve) => {
    let stopping = false;
    const stop = (signal: NodeJS.Signals) => {
      if (stopping) return;
      stopping = true;
      logger.info({ signal }, 'stopping');
      close().then(
        () => resolve(0),
        (err) => {
          logger.error({ err: (err as Error).message }, 'error while stopping');
          resolve(1);
        },
      );
    };
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  });
}
