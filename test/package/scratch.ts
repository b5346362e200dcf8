// Commands run in a scratch project outside the checkout, as a user runs them: npm, npx, node.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';

export interface Ran {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** This process's environment without wxgate's own settings, so a project's .env and the test's values decide. */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(WECHAT_|WXGATE_|npm_|VITEST)/.test(k) && !['PORT', 'HOST', 'LOG_LEVEL', 'NODE_OPTIONS', 'INIT_CWD'].includes(k)));
  return { ...env, ...extra };
}

export function run(cmd: string, args: string[], { cwd, env = {}, timeoutMs = 180_000 }: { cwd: string; env?: Record<string, string>; timeoutMs?: number }): Ran {
  const r = spawnSync(cmd, args, { cwd, env: cleanEnv(env), encoding: 'utf8', timeout: timeoutMs });
  return { status: r.status, stdout: r.stdout ?? '', stderr: `${r.stderr ?? ''}${r.error ? String(r.error) : ''}` };
}

/** npm install with the registry's packages from the cache when it has them. */
export function npmInstall(cwd: string, specs: string[] = []): Ran {
  return run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error', ...specs], { cwd });
}

export interface Started {
  readonly child: ChildProcess;
  output(): string;
  /** SIGTERM to the whole process group (npm and the node it started), SIGKILL after 10 s. */
  stop(): Promise<number | null>;
}

export function start(cmd: string, args: string[], { cwd, env = {} }: { cwd: string; env?: Record<string, string> }): Started {
  // Its own process group: `npm start` and `npx` run node as a grandchild.
  const child = spawn(cmd, args, { cwd, env: cleanEnv(env), detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = once(child, 'exit').then(([code]) => code as number | null);
  const signal = (s: NodeJS.Signals) => {
    try {
      process.kill(-child.pid!, s);
    } catch {
      // already gone
    }
  };
  return {
    child,
    output: () => out,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        signal('SIGTERM');
        const timer = setTimeout(() => signal('SIGKILL'), 10_000);
        const code = await exited;
        clearTimeout(timer);
        return code;
      }
      return child.exitCode;
    },
  };
}

/** Like run(), but in a process group of its own that a time-out ends whole (npx runs node as a grandchild). */
export async function runToExit(cmd: string, args: string[], { cwd, env = {}, timeoutMs = 60_000 }: { cwd: string; env?: Record<string, string>; timeoutMs?: number }): Promise<Ran> {
  const proc = start(cmd, args, { cwd, env });
  let stdout = '';
  let stderr = '';
  proc.child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  proc.child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const timer = setTimeout(() => void proc.stop(), timeoutMs);
  const [status] = (await once(proc.child, 'close')) as [number | null];
  clearTimeout(timer);
  await proc.stop();
  return { status, stdout, stderr };
}

/** Resolves once GET url answers 200; rejects with the process's output when it exits or time runs out. */
export async function waitForOk(url: string, proc: Started, timeoutMs = 60_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (proc.child.exitCode !== null) throw new Error(`exited ${proc.child.exitCode} before ${url} answered:\n${proc.output()}`);
    const ok = await fetch(url).then((r) => r.ok, () => false);
    if (ok) return;
    await sleep(100);
  }
  throw new Error(`${url} did not answer 200 in ${timeoutMs} ms:\n${proc.output()}`);
}
