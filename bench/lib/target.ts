// Starts one benchmark target as a child process (its own core, its stdout to a log file) and
// reads its RSS from /proc while it runs.
import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { openSync, closeSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export interface RunningTarget {
  readonly pid: number;
  readonly port: number;
  readonly url: string;
  rssMiB(): number;
  /** CPU time the target has used so far (user + system), ms. */
  cpuMs(): number;
  stop(): Promise<void>;
}

export async function startTarget(script: string, env: Record<string, string>, logFile: string): Promise<RunningTarget> {
  const fd = openSync(logFile, 'w');
  const child: ChildProcess = fork(fileURLToPath(new URL(`../targets/${script}`, import.meta.url)), [], {
    env: { ...process.env, ...env },
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', fd, 'inherit', 'ipc'],
  });
  const [message] = (await Promise.race([
    once(child, 'message'),
    once(child, 'exit').then(() => {
      throw new Error(`${script} exited before listening`);
    }),
  ])) as [{ port: number }];
  return {
    pid: child.pid!,
    port: message.port,
    url: `http://127.0.0.1:${message.port}`,
    rssMiB() {
      const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
      const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
      return Math.round(kb / 102.4) / 10;
    },
    cpuMs() {
      // utime + stime in clock ticks (100 Hz on Linux)
      const fields = readFileSync(`/proc/${child.pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      return (Number(fields[11]) + Number(fields[12])) * 10;
    },
    async stop() {
      if (child.exitCode === null) {
        const exited = once(child, 'exit');
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(timer);
      }
      closeSync(fd);
    },
  };
}
