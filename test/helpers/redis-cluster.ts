// A Redis Cluster of the test's own: 3 masters and 3 replicas on free loopback ports (issue 18),
// each node a real redis-server in a temporary directory of its own, no persistence. Nodes can
// be killed one by one (failover tests); `stop` kills them all and removes their directories.
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Cluster, Redis } from 'ioredis';
import { freePort } from './redis-server.js';

const run = promisify(execFile);

export interface ClusterNode {
  readonly port: number;
  readonly dir: string;
  /** SIGKILL, no goodbye (a crash). */
  kill(): Promise<void>;
  /** Starts a killed node again on its port and directory: it rejoins from its nodes.conf (a replica of whoever took its slots). */
  restart(): Promise<void>;
}

export interface OwnCluster {
  readonly nodes: readonly ClusterNode[];
  /** For REDIS_CLUSTER_NODES: `127.0.0.1:p1,127.0.0.1:p2,…`. */
  readonly nodesList: string;
  /** A cluster client of the test's own (closed by `stop`). */
  client(): Cluster;
  /** The node whose port is `port`, as a plain connection (CLUSTER commands, INFO). */
  node(port: number): Redis;
  stop(): Promise<void>;
}

async function distinctFreePorts(n: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < n) ports.add(await freePort());
  return [...ports];
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, { tries = 200, everyMs = 50 } = {}): Promise<T> {
  for (let i = 0; i < tries; i += 1) {
    const v = await probe().catch(() => undefined);
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error(`redis cluster: ${what} not reached`);
}

async function ask(port: number, ...args: string[]): Promise<string | undefined> {
  const conn = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  conn.on('error', () => undefined);
  try {
    await conn.connect();
    return String(await conn.call(args[0]!, ...args.slice(1)));
  } finally {
    conn.disconnect();
  }
}

/** Starts the six nodes, joins them with `redis-cli --cluster create`, waits for cluster_state:ok on each. */
export async function ownCluster({ masters = 3, replicasPerMaster = 1 } = {}): Promise<OwnCluster> {
  const count = masters * (1 + replicasPerMaster);
  // Bus ports chosen too: port + 10000 may be taken or above 65535.
  const ports = await distinctFreePorts(count * 2);
  const clients: (Cluster | Redis)[] = [];
  const nodes = Array.from({ length: count }, (_, i) => {
    const port = ports[i]!;
    const dir = mkdtempSync(join(tmpdir(), 'wxgate-cluster-'));
    const start = (): ChildProcess =>
      spawn(
        'redis-server',
        ['--port', String(port), '--cluster-port', String(ports[count + i]!), '--bind', '127.0.0.1', '--dir', dir, '--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf', '--cluster-node-timeout', '2000', '--save', '', '--appendonly', 'no'],
        { stdio: 'ignore' },
      );
    let child = start();
    const node: ClusterNode = {
      port,
      dir,
      async kill() {
        if (child.exitCode !== null || child.signalCode !== null) return;
        const exited = once(child, 'exit');
        child.kill('SIGKILL');
        await exited;
      },
      async restart() {
        if (child.exitCode === null && child.signalCode === null) return;
        child = start();
        await waitFor(`node ${port} up again`, async () => ((await ask(port, 'PING')) === 'PONG' ? true : undefined));
      },
    };
    return node;
  });
  const self: OwnCluster = {
    nodes,
    nodesList: nodes.map((n) => `127.0.0.1:${n.port}`).join(','),
    client() {
      const c = new Cluster([{ host: '127.0.0.1', port: nodes[0]!.port }], { redisOptions: { maxRetriesPerRequest: 1 } });
      c.on('error', () => undefined);
      clients.push(c);
      return c;
    },
    node(port) {
      const c = new Redis({ port, host: '127.0.0.1', maxRetriesPerRequest: 1 });
      c.on('error', () => undefined);
      clients.push(c);
      return c;
    },
    async stop() {
      for (const c of clients) c.disconnect();
      await Promise.all(nodes.map((n) => n.kill()));
      for (const n of nodes) rmSync(n.dir, { recursive: true, force: true });
    },
  };
  try {
    for (const n of nodes) await waitFor(`node ${n.port} up`, async () => ((await ask(n.port, 'PING')) === 'PONG' ? true : undefined));
    await run('redis-cli', ['--cluster', 'create', ...nodes.map((n) => `127.0.0.1:${n.port}`), '--cluster-replicas', String(replicasPerMaster), '--cluster-yes'], { timeout: 30_000 });
    for (const n of nodes) {
      await waitFor(`cluster_state:ok on ${n.port}`, async () => ((await ask(n.port, 'CLUSTER', 'INFO'))?.includes('cluster_state:ok') ? true : undefined));
    }
    // Replicas through their first sync: until then WAIT counts none of them.
    for (const n of nodes) {
      await waitFor(`the replicas of ${n.port} online`, async () => {
        const info = (await ask(n.port, 'INFO', 'replication')) ?? '';
        if (!info.includes('role:master')) return true;
        return (info.match(/^slave\d+:.*state=online/gm) ?? []).length >= replicasPerMaster ? true : undefined;
      });
    }
  } catch (err) {
    await self.stop();
    throw err;
  }
  return self;
}
