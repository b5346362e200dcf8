// A redis-server of the test's own on a free port, which the test may stop and start again
// (the failover tests). Not a mock: the real binary, no persistence.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
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
  start(): Promise<void>;
  stop(): Promise<void>;
}

export async function ownRedis(): Promise<OwnRedis> {
  const port = await freePort();
  let child: ChildProcess | undefined;
  const url = `redis://127.0.0.1:${port}`;
  const self: OwnRedis = {
    port,
    url,
    async start() {
      child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--enable-debug-command', 'yes'], { stdio: 'ignore' });
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
    async stop() {
      if (!child || child.exitCode !== null || child.signalCode !== null) return; // stopped already (killed: signalCode)
      const exited = once(child, 'exit');
      child.kill('SIGKILL');
      await exited;
    },
  };
  return self;
}
