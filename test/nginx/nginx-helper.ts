// Runs nginx/nginx.conf for tests: rendered by nginx/run-local.sh into a temporary prefix
// (loopback, a free port, our receivers as upstreams), checked with `nginx -t`, started in
// the foreground as a child of the test (`daemon off`) and stopped by its pid.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { chmod, mkdtemp, readFile, rm } from 'node:fs/promises';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = fileURLToPath(new URL('../../', import.meta.url));
export const RUN_LOCAL = join(REPO, 'nginx', 'run-local.sh');
export const SHIPPED_CONF = join(REPO, 'nginx', 'nginx.conf');

const CANDIDATES = ['/usr/sbin/nginx', '/usr/local/sbin/nginx', '/usr/local/nginx/sbin/nginx', '/usr/bin/nginx'];

/** The nginx binary, or a message saying how to get one. Tests fail (never skip) without it. */
export function findNginx(): { path?: string; problem?: string } {
  const fromEnv = process.env.NGINX;
  const onPath = spawnSync('sh', ['-c', 'command -v nginx'], { encoding: 'utf8' }).stdout.trim();
  for (const c of [fromEnv, onPath, ...CANDIDATES]) {
    if (!c) continue;
    try {
      accessSync(c, constants.X_OK);
      return { path: c };
    } catch {
      // next
    }
  }
  return { problem: 'nginx is not installed: `apt-get update && apt-get install -y nginx` (CI does this in .ci/run), or set NGINX=/path/to/nginx' };
}

export async function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, host, () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

export interface RenderOptions {
  prefix: string;
  port?: number;
  upstreams?: (number | string)[];
  pathsOnly?: boolean;
  nginx?: string;
}

function runLocal(command: string, { prefix, port = 8080, upstreams = [3000], pathsOnly = false, nginx }: RenderOptions) {
  const args = [RUN_LOCAL, '--prefix', prefix, '--port', String(port), '--upstream', upstreams.join(','), ...(pathsOnly ? ['--paths-only'] : []), command];
  const env = nginx ? { ...process.env, NGINX: nginx } : process.env;
  return spawnSync('bash', args, { encoding: 'utf8', env });
}

/** Renders the shipped config into prefix; returns the rendered file's path. */
export function renderConfig(options: RenderOptions): string {
  const r = runLocal('render', options);
  if (r.status !== 0) throw new Error(`run-local.sh render failed (${r.status}): ${r.stderr}`);
  return r.stdout.trim();
}

/** `nginx -t` on the rendered config: ok and nginx's own words. */
export function testConfig(options: RenderOptions): { ok: boolean; output: string } {
  const r = runLocal('test', options);
  return { ok: r.status === 0, output: `${r.stdout}${r.stderr}` };
}

export interface LocalNginx {
  port: number;
  prefix: string;
  accessLog: string;
  errorLog: string;
  pid: number;
  stop(): Promise<void>;
}

function waitForPort(port: number, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const attempt = (): void => {
      if (child.exitCode !== null) return reject(new Error(`nginx exited with ${child.exitCode}`));
      const sock = connect(port, '127.0.0.1');
      sock.once('connect', () => {
        sock.destroy();
        resolve();
      });
      sock.once('error', () => {
        sock.destroy();
        if (Date.now() > deadline) reject(new Error(`nginx did not listen on ${port} within ${timeoutMs} ms`));
        else setTimeout(attempt, 50);
      });
    };
    attempt();
  });
}

/** Renders, tests and starts nginx on 127.0.0.1:port in front of the given receiver ports. */
export async function startNginx({ nginx, upstreams, port }: { nginx: string; upstreams: number[]; port?: number }): Promise<LocalNginx> {
  const prefix = await mkdtemp(join(tmpdir(), 'wxgate-nginx-'));
  await chmod(prefix, 0o755);
  const listen = port ?? (await freePort());
  const conf = renderConfig({ prefix, port: listen, upstreams, nginx });
  const t = testConfig({ prefix, port: listen, upstreams, nginx });
  if (!t.ok) throw new Error(`nginx -t failed:\n${t.output}`);
  const errorLog = join(prefix, 'logs', 'error.log');
  const child = spawn(nginx, ['-p', prefix, '-e', errorLog, '-c', conf, '-g', 'daemon off;'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    await waitForPort(listen, child, 10_000);
  } catch (err) {
    child.kill('SIGKILL');
    const log = await readFile(errorLog, 'utf8').catch(() => '');
    throw new Error(`${(err as Error).message}\n${stderr}\n${log}`);
  }
  return {
    port: listen,
    prefix,
    accessLog: join(prefix, 'logs', 'access.log'),
    errorLog,
    pid: child.pid!,
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGQUIT'); // graceful: flushes the buffered access log
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(timer);
      }
      await rm(prefix, { recursive: true, force: true });
    },
  };
}

/** Polls a file until `until(text)` holds (nginx buffers its access log for up to 1 s). */
export async function waitForFile(path: string, until: (text: string) => boolean, timeoutMs = 5000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const text = await readFile(path, 'utf8').catch(() => '');
    if (until(text)) return text;
    if (Date.now() > deadline) throw new Error(`${path} did not get the expected lines within ${timeoutMs} ms; it has:\n${text}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

