// A shutdown's deadline, shared by everything that closes in one process (issue 14 item 5):
// `at` is when the process must be gone; `cutAt` is when patience ends — connections still open
// are destroyed, jobs still running are left to another worker — so that what follows the cut
// (closing queues and Redis) still fits before `at`.

export interface Deadline {
  /** Epoch ms: the process has exited by then (the hard exit in run-until-signal.ts). */
  readonly at: number;
  /** Epoch ms: stop waiting for clients and jobs (80 % of the way). */
  readonly cutAt: number;
}

export function deadlineIn(ms: number, now = Date.now()): Deadline {
  return { at: now + ms, cutAt: now + Math.round(ms * 0.8) };
}

/**
 * Resolves true once `work` settles (either way), false when the clock reaches `at` first.
 * Never rejects: a close that fails or hangs must not stop the next one from running.
 */
export function settledBy(work: Promise<unknown>, at: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), Math.max(0, at - Date.now()));
    const done = () => {
      clearTimeout(timer);
      resolve(true);
    };
    work.then(done, done);
  });
}

/** Waits for `close` until `at`; past it, `abandon` (a disconnect that drops whatever waits on Redis). */
export async function closeBy(close: Promise<unknown>, at: number, abandon: () => void): Promise<void> {
  if (!(await settledBy(close, at))) abandon();
}
