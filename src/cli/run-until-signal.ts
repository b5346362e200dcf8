// The life of a long-running command after its start: SIGTERM or SIGINT → `close(deadline)` →
// exit code. The process is gone by the deadline whatever the clients or Redis do: `close` is
// given the deadline to keep (each part cuts what is left at its `cutAt`), and a hard exit at
// `at` is the last resort for anything that still holds the event loop (issue 14 item 5).
import { deadlineIn, type Deadline } from '../deadline.js';
import type { Logger } from '../logger.js';

export interface RunUntilSignalOptions {
  /** WXGATE_SHUTDOWN_TIMEOUT_MS. */
  timeoutMs?: number;
  /** How the hard exit ends the process (tests pass their own). */
  exit?: (code: number) => void;
}

/** Resolves with 0 once `close` is done after SIGTERM/SIGINT (1 if it failed). */
export function runUntilSignal(logger: Logger, close: (deadline: Deadline) => Promise<void>, { timeoutMs = 10_000, exit = (code) => process.exit(code) }: RunUntilSignalOptions = {}): Promise<number> {
  return new Promise((resolve) => {
    let stopping = false;
    const stop = (signal: NodeJS.Signals) => {
      if (stopping) return;
      stopping = true;
      const deadline = deadlineIn(timeoutMs);
      logger.info({ signal, timeoutMs }, 'stopping');
      logger.flush(); // the lines so far are out whatever happens next
      let code: number | undefined;
      // Unref'd: once everything is closed the process ends on its own, sooner.
      setTimeout(() => {
        if (code === undefined) logger.error({ timeoutMs }, 'shutdown deadline reached: exiting with the rest unfinished');
        exit(code ?? 1);
      }, timeoutMs).unref();
      close(deadline).then(
        () => resolve((code = 0)),
        (err: unknown) => {
          logger.error({ err: (err as Error).message }, 'error while stopping');
          resolve((code = 1));
        },
      );
    };
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  });
}
