// A Redis Cluster of the test's own: 3 masters and 3 replicas on free loopback ports (issue 18),
// each node a real redis-server in a temporary directory of its own, no persistence. Nodes can
// be killed one by one (failover tests); `stop` kills them all and removes their directories.
// Optionally the nodes require a password (or an ACL user), and speak TLS only: plain port 0,
// TLS for clients, the cluster bus and replication, with a CA and a certificate for 127.0.0.1
// made by openssl at start, as a managed cluster with a private CA has them.
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Cluster, Redis, type RedisOptions } from 'ioredis';
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

export interface ClusterAuth {
  /** An ACL user with every permission (the default user is then off); absent: requirepass. */
  readonly username?: string;
  readonly password: string;
}

export interface OwnClusterOptions {
  masters?: number;
  replicasPerMaster?: number;
  auth?: ClusterAuth;
  /** TLS only, on every port (clients, bus, replication). */
  tls?: boolean;
}

export interface OwnCluster {
  readonly nodes: readonly ClusterNode[];
  /** With `tls`: the CA's certificate (PEM) and its file, for REDIS_TLS_CA_FILE. */
  readonly tls?: { readonly caFile: string; readonly ca: string };
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

/** A CA and a certificate for 127.0.0.1 it signed, in `dir` (removed with the cluster). */
async function makeCertificates(dir: string): Promise<{ caFile: string; certFile: string; keyFile: string }> {
  const f = (name: string) => join(dir, name);
  const key = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  await run('openssl', ['req', '-x509', ...key, '-keyout', f('ca.key'), '-out', f('ca.crt'), '-days', '2', '-subj', '/CN=wxgate test CA']);
  await run('openssl', ['req', ...key, '-keyout', f('redis.key'), '-out', f('redis.csr'), '-subj', '/CN=127.0.0.1']);
  writeFileSync(f('san.cnf'), 'subjectAltName=IP:127.0.0.1\n');
  await run('openssl', ['x509', '-req', '-in', f('redis.csr'), '-CA', f('ca.crt'), '-CAkey', f('ca.key'), '-CAcreateserial', '-out', f('redis.crt'), '-days', '2', '-extfile', f('san.cnf')]);
  return { caFile: f('ca.crt'), certFile: f('redis.crt'), keyFile: f('redis.key') };
}

/** One command on one node; `options`: how the helper's own connections reach the nodes (credentials, TLS). */
async function askWith(options: RedisOptions, port: number, ...args: string[]): Promise<string | undefined> {
  const conn = new Redis({ ...options, port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  conn.on('error', () => undefined);
  try {
    await conn.connect();
    return String(await conn.call(args[0]!, ...args.slice(1)));
  } finally {
    conn.disconnect();
  }
}

/** Starts the six nodes, joins them with `redis-cli --cluster create`, waits for cluster_state:ok on each. */
export async function ownCluster({ masters = 3, replicasPerMaster = 1, auth, tls = false }: OwnClusterOptions = {}): Promise<OwnCluster> {
  const count = masters * (1 + replicasPerMaster);
  // Bus ports chosen too: port + 10000 may be taken or above 65535.
  const ports = await distinctFreePorts(count * 2);
  const clients: (Cluster | Redis)[] = [];
  const certDir = tls ? mkdtempSync(join(tmpdir(), 'wxgate-cluster-tls-')) : undefined;
  const certs = certDir ? await makeCertificates(certDir) : undefined;
  const ca = certs && readFileSync(certs.caFile, 'utf8');
  const authArgs = !auth
    ? []
    : auth.username
      ? ['--user', 'default', 'off', '--user', auth.username, 'on', `>${auth.password}`, '~*', '&*', '+@all', '--masteruser', auth.username, '--masterauth', auth.password]
      : ['--requirepass', auth.password, '--masterauth', auth.password];
  const cliArgs = [...(auth ? [...(auth.username ? ['--user', auth.username] : []), '-a', auth.password, '--no-auth-warning'] : []), ...(certs ? ['--tls', '--cacert', certs.caFile] : [])];
  const options: RedisOptions = { ...(auth && { username: auth.username, password: auth.password }), ...(ca && { tls: { ca } }) };
  const ask = (port: number, ...args: string[]) => askWith(options, port, ...args);
  const nodes = Array.from({ length: count }, (_, i) => {
    const port = ports[i]!;
    const dir = mkdtempSync(join(tmpdir(), 'wxgate-cluster-'));
    const portArgs = certs
      ? ['--port', '0', '--tls-port', String(port), '--tls-cluster', 'yes', '--tls-replication', 'yes', '--tls-cert-file', certs.certFile, '--tls-key-file', certs.keyFile, '--tls-ca-cert-file', certs.caFile, '--tls-auth-clients', 'no']
      : ['--port', String(port)];
    const start = (): ChildProcess =>
      spawn(
        'redis-server',
        [...portArgs, '--cluster-port', String(ports[count + i]!), '--bind', '127.0.0.1', '--dir', dir, '--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf', '--cluster-node-timeout', '2000', '--save', '', '--appendonly', 'no', ...authArgs],
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
    ...(certs && ca && { tls: { caFile: certs.caFile, ca } }),
    nodesList: nodes.map((n) => `127.0.0.1:${n.port}`).join(','),
    client() {
      const c = new Cluster([{ host: '127.0.0.1', port: nodes[0]!.port }], { redisOptions: { ...options, maxRetriesPerRequest: 1 } });
      c.on('error', () => undefined);
      clients.push(c);
      return c;
    },
    node(port) {
      const c = new Redis({ ...options, port, host: '127.0.0.1', maxRetriesPerRequest: 1 });
      c.on('error', () => undefined);
      clients.push(c);
      return c;
    },
    async stop() {
      for (const c of clients) c.disconnect();
      await Promise.all(nodes.map((n) => n.kill()));
      for (const n of nodes) rmSync(n.dir, { recursive: true, force: true });
      if (certDir) rmSync(certDir, { recursive: true, force: true });
    },
  };
  try {
    for (const n of nodes) await waitFor(`node ${n.port} up`, async () => ((await ask(n.port, 'PING')) === 'PONG' ? true : undefined));
    await run('redis-cli', [...cliArgs, '--cluster', 'create', ...nodes.map((n) => `127.0.0.1:${n.port}`), '--cluster-replicas', String(replicasPerMaster), '--cluster-yes'], { timeout: 30_000 });
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
