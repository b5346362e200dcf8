// A redis-server of the test's own on a free port, which the test may stop and start again
// (the failover tests). Not a mock: the real binary, no persistence unless `args` turn it on
// (its files go to `dir`, a temporary directory of its own).
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';

export async function freePort(): Promise<number> {
  const srv = createServer();
  srv.listen(0, '127.0.0.1');
  await once(srv, 'listening');
  const { port } = srv.address() as { port: number };
  srv.close();
  await once(srv, 'close');
  return port;
}

export interface OwnRedis {
  readonly port: number;
  readonly url: string;
  readonly dir: string;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Sends a signal to the running server (SIGSTOP / SIGCONT: the fault suite's hung Redis). */
  signal(sig: NodeJS.Signals): void;
}

/** `args` come after the defaults and override them (`--appendonly yes`, `--maxmemory-policy allkeys-lru`). */
export async function ownRedis({ args = [] }: { args?: string[] } = {}): Promise<OwnRedis> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'wxgate-redis-'));
  let child: ChildProcess | undefined;
  const url = `redis://127.0.0.1:${port}`;
  const self: OwnRedis = {
    port,
    url,
    dir,
    async start() {
      const defaults = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no', '--enable-debug-command', 'yes'];
      child = spawn('redis-server', [...defaults, ...args], { stdio: 'ignore' });
      for (let i = 0; i < 100; i += 1) {
        const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
        probe.on('error', () => undefined);
        const ok = await probe.connect().then(() => probe.ping(), () => undefined);
        probe.disconnect();
        if (ok === 'PONG') return;
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error(`redis-server did not start on ${port}`);
    },
    signal(sig) {
      if (child && child.exitCode === null && child.signalCode === null) child.kill(sig);
    },
    async stop() {
      if (!child || child.exitCode !== null || child.signalCode !== null) return; // stopped already (killed: signalCode)
      const exited = once(child, 'exit');
      child.kill('SIGKILL');
      await exited;
    },
  };
  return self;
}
