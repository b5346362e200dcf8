// Starts `wxgate <command>` (bin/wxgate.js, exactly what `npm start` runs) as a child process for
// the demo and the end-to-end benchmarks: its logs to a file, loopback only, ready when /readyz
// answers 200 (serve, all) or when it logged "workers running" (worker).
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../../../bin/wxgate.js', import.meta.url));

export interface WxgateProcess {
  /** http://127.0.0.1:<port> (serve and all). */
  readonly url: string;
  readonly port: number;
  readonly child: ChildProcess;
  /** The last lines it logged. */
  logTail(lines?: number): string;
  /** SIGTERM (graceful: running jobs finish), SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

export interface StartWxgateOptions {
  command: 'all' | 'serve' | 'worker';
  env: Record<string, string>;
  logFile: string;
  readyTimeoutMs?: number;
  /** Node flags, e.g. ['--cpu-prof', '--cpu-prof-dir=/tmp/prof'] to profile a benchmark run. */
  nodeArgs?: readonly string[];
  /** The port to listen on (a restart behind the same nginx upstream); default: a free one. */
  port?: number;
}

/** This process's environment without wxgate's own settings: the child gets exactly the ones given. */
function inherited(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(WECHAT_|WXGATE_)/.test(k) && !['PORT', 'HOST', 'LOG_LEVEL'].includes(k)));
}

/** A port that was free a moment ago (the OS picked it). */
export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export async function startWxgate({ command, env, logFile, readyTimeoutMs = 30_000, nodeArgs = [], port: fixedPort }: StartWxgateOptions): Promise<WxgateProcess> {
  const port = command === 'worker' ? 0 : fixedPort ?? (await freePort());
  const fd = openSync(logFile, 'w');
  const child = spawn(process.execPath, [...nodeArgs, BIN, command], {
    env: { ...inherited(), LOG_LEVEL: 'info', ...env, PORT: String(port), HOST: '127.0.0.1' },
    stdio: ['ignore', fd, fd],
  });
  closeSync(fd); // the child has its own copy
  const url = `http://127.0.0.1:${port}`;
  const logTail = (lines = 20) => readFileSync(logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  const exited = once(child, 'exit');
  const proc: WxgateProcess = {
    url,
    port,
    child,
    logTail,
    async stop(graceMs = 10_000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
  const deadline = Date.now() + readyTimeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`wxgate ${command} exited (${child.exitCode}) before it was ready:\n${logTail()}`);
    if (await isReady(command, url, logFile)) return proc;
    if (Date.now() > deadline) {
      await proc.stop(1000);
      throw new Error(`wxgate ${command} was not ready within ${readyTimeoutMs} ms:\n${logTail()}`);
    }
    await sleep(100);
  }
}

async function isReady(command: StartWxgateOptions['command'], url: string, logFile: string): Promise<boolean> {
  if (command === 'worker') return readFileSync(logFile, 'utf8').includes('"msg":"workers running"');
  try {
    const res = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(1000) });
    await res.arrayBuffer();
    return res.status === 200 && (command === 'serve' || readFileSync(logFile, 'utf8').includes('"msg":"workers running"'));
  } catch {
    return false;
  }
}
