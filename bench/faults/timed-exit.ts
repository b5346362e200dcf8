// A signal to one of a fault case's processes, timed until the process is gone (issue 14: every
// process gone within WXGATE_SHUTDOWN_TIMEOUT_MS). `exit` on the child fires once the OS reaped it.
import { once } from 'node:events';
import type { ChildProcess } from 'node:child_process';

export interface TimedExit {
  exitMs: number;
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** Sends `signal`; resolves when the process has exited, or undefined after `timeoutMs` (then SIGKILLs it). */
export async function signalAndTime(child: ChildProcess, signal: NodeJS.Signals, timeoutMs = 60_000): Promise<TimedExit | undefined> {
  if (child.exitCode !== null || child.signalCode !== null) throw new Error(`process ${child.pid} had already exited`);
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  const sentAt = Date.now();
  child.kill(signal);
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), timeoutMs)));
  const got = await Promise.race([exited, late]);
  clearTimeout(timer);
  if (got === undefined) {
    child.kill('SIGKILL');
    await exited;
    return undefined;
  }
  return { exitMs: Date.now() - sentAt, code: got[0], signal: got[1] };
}
