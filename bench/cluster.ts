// Redis CPU per push on each shard of a Redis Cluster (issue 18), and what one shard therefore
// carries: the plan for a push rate past one Redis, from figures measured here. Opt-in:
// `npm run bench -- cluster`.
//
// Four targets, each `wxgate serve` + `wxgate worker` (real child processes, the built-in echo
// handler replying through custom/send to the mock WeChat API in this process), six accounts in
// WXGATE_APPS_FILE (safe mode), signed pushes at a fixed rate spread evenly over the accounts:
//   single           one redis-server, no replica: the figure the cluster is compared with
//   single+replica   the same with one replica attached: what feeding a replica costs a master
//   cluster          3 masters + 3 replicas (ownCluster); the accounts picked by their slots so
//                    that each master holds two of them, i.e. a third of the load
//   cluster+WAIT 1   the same cluster with WXGATE_REDIS_WAIT_REPLICAS=1 (another prefix)
//   one account, 3 shards   the same cluster, the whole rate on one account with
//                    WXGATE_QUEUE_SHARDS=3, picked so that its three inbound shards sit on three
//                    masters: how one large account spreads (each master's CPU over all pushes)
// Each Redis's CPU (INFO cpu: user + system, all threads, µs) and commands (INFO stats) are read
// before and after a timed phase; the phase ends when every push answered has its reply, so the
// window holds the whole path of a push (receive, queue, worker, reply). A master's pushes are
// the replies of its accounts. What a Redis spends idle (cron, the cluster bus, idle workers'
// polls: every stack stays up all along) is measured in each round with everything quiet and
// taken off, so a figure is the cost of one more push. Paired rounds, the targets' order rotated
// from round to round; medians with the range.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { createMockWeChat, type MockWeChat } from '../src/dev/mock-wechat/index.js';
import { buildPush, textMessage, type BuiltPush } from '../src/dev/pushes.js';
import { startWxgate, type WxgateProcess } from '../src/dev/simulator/wxgate-process.js';
import { ownCluster, type OwnCluster } from '../test/helpers/redis-cluster.js';
import { ownRedis, type OwnRedis } from '../test/helpers/redis-server.js';
import { masterOfSlot, netUsPerPush, parseClusterSlots, pickAccounts, shardCeiling, shardsNeeded, type SlotRange } from './lib/cluster-figures.js';
import { runConstantRate } from './lib/constant-rate.js';
import { median, type Spread, withSpread } from './lib/median.js';
import { pairedDifference, pairedRatio, type PairedRatio, type RoundCosts } from './lib/paired-rounds.js';

const TOKEN = 'benchtoken';
const AES_KEY = 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG';
const SEND_PATH = '/cgi-bin/message/custom/send';
const ACCOUNTS_PER_MASTER = 2;
const ACCOUNTS = 3 * ACCOUNTS_PER_MASTER;
/** Pushes per second over all accounts: a load the two shared cores carry with room to spare, so no queue builds up. */
const RATE = 450;
const IDLE_S = 3;
/** The push rate the plan is drawn for, and the share of a core a shard is planned to. */
const PLAN_RATE = 10_000;
const PLAN_SHARE = 0.5;
export const CLUSTER_FULL = { rounds: 5, durationS: 6 };

export const TARGETS = ['single', 'single+replica', 'cluster', 'cluster+WAIT 1', 'one account, 3 shards'] as const;
export type TargetName = (typeof TARGETS)[number];

interface Account {
  readonly appid: string;
  /** The port of the Redis holding the account's keys (its master on the cluster). */
  readonly node: number;
}

type Role = 'single' | 'primary' | 'replica' | 'master';

interface RedisNode {
  readonly port: number;
  readonly role: Role;
  /** The master (or primary) a replica follows; its own port otherwise. */
  readonly of: number;
  readonly conn: Redis;
}

interface Stack {
  readonly name: TargetName;
  readonly accounts: readonly Account[];
  readonly nodes: readonly RedisNode[];
  readonly serve: WxgateProcess;
  readonly worker: WxgateProcess;
  /** One account over inbound shards: every master's CPU counts against all the pushes; the master of the account's own tag. */
  readonly sharded?: { readonly tagMaster: number };
}

export interface NodeFigures {
  /** `master 1` (the lowest slots) …, `replica of master 1`, `single`, `primary`, `replica`. */
  readonly node: string;
  readonly pushes: number;
  /** Net of the idle floor (µs per push), and the floor itself (µs per second). */
  readonly usPerPush: number;
  readonly idleUsPerS: number;
  readonly commandsPerPush: number;
}

export interface TargetRound {
  readonly target: TargetName;
  /** Pushes sent, answered 2xx, and replied to at the mock within the window (the figures' divisor). */
  readonly sent: number;
  readonly answered: number;
  readonly replies: number;
  readonly errors: number;
  readonly windowS: number;
  readonly ackP50: number;
  readonly ackP99: number;
  readonly nodes: readonly NodeFigures[];
  /** Masters (or the one Redis) only, net, per push: what bounds a shard. */
  readonly mastersUsPerPush: number;
  /** Every Redis of the target, replicas included. */
  readonly allRedisUsPerPush: number;
  readonly serveUsPerPush: number;
  readonly workerUsPerPush: number;
}

export interface TargetSummary {
  readonly target: TargetName;
  readonly pushes: number;
  readonly errors: number;
  readonly masters: Spread;
  readonly allRedis: Spread;
  readonly serve: Spread;
  readonly worker: Spread;
  readonly ackP50: number;
  readonly ackP99: number;
  /** Per node, over the rounds: median and range of the CPU per push, median commands per push. */
  readonly nodes: readonly { node: string; usPerPush: Spread; idleUsPerS: number; commandsPerPush: number }[];
}

export interface ClusterBench {
  readonly rounds: number;
  readonly durationS: number;
  readonly rate: number;
  readonly accounts: number;
  readonly perRound: TargetRound[][];
  readonly targets: TargetSummary[];
  /** Within each round, the cluster's masters' CPU per push over the single Redis's (and the others). */
  readonly clusterVsSingle: PairedRatio;
  readonly replicaFeedVsSingle: PairedRatio;
  readonly clusterVsSingleReplica: PairedRatio;
  /** The receiver's CPU per push with WAIT 1 over without, and the µs it adds (median of differences). */
  readonly waitServe: PairedRatio;
  readonly waitServeUs: number;
  readonly waitMasters: PairedRatio;
  /** One account over 3 inbound shards ÷ six accounts, masters' CPU per push. */
  readonly shardedVsCluster: PairedRatio;
  readonly plan: {
    /** The busiest master's median CPU per push on the cluster without WAIT (µs), and its idle floor (µs/s). */
    readonly usPerPush: number;
    readonly idleUsPerS: number;
    readonly ceiling: number;
    readonly planShare: number;
    readonly planning: number;
    readonly planRate: number;
    readonly shards: number;
    /** The same from the single Redis: all of wxgate on one. */
    readonly singleUsPerPush: number;
    readonly singleCeiling: number;
    /** One account over 3 inbound shards: bound by the master of its own tag (its replies, nonces, quotas stay there). */
    readonly oneAccountUsPerPush: number;
    readonly oneAccountCeiling: number;
    readonly oneAccountPlanning: number;
  };
}

interface Reading {
  readonly at: number;
  readonly redis: Map<number, { cpuUs: number; commands: number }>;
  readonly serveMs: number;
  readonly workerMs: number;
}

function procCpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10; // utime + stime, ticks of 10 ms
}

async function redisReading(conn: Redis): Promise<{ cpuUs: number; commands: number }> {
  const info = await conn.info('cpu');
  const stats = await conn.info('stats');
  const field = (text: string, name: string) => Number(new RegExp(`^${name}:([0-9.]+)`, 'm').exec(text)?.[1] ?? NaN);
  return { cpuUs: (field(info, 'used_cpu_user') + field(info, 'used_cpu_sys')) * 1e6, commands: field(stats, 'total_commands_processed') };
}

async function read(nodes: readonly RedisNode[], stack?: Stack): Promise<Reading> {
  const redis = new Map<number, { cpuUs: number; commands: number }>();
  for (const n of nodes) redis.set(n.port, await redisReading(n.conn));
  return { at: performance.now(), redis, serveMs: stack ? procCpuMs(stack.serve.child.pid!) : 0, workerMs: stack ? procCpuMs(stack.worker.child.pid!) : 0 };
}

/** Each Redis's CPU and commands per second with every gateway quiet. */
async function idleRates(nodes: readonly RedisNode[]): Promise<Map<number, { usPerS: number; commandsPerS: number }>> {
  const before = await read(nodes);
  await sleep(IDLE_S * 1000);
  const after = await read(nodes);
  const s = (after.at - before.at) / 1000;
  return new Map(nodes.map((n) => [n.port, { usPerS: (after.redis.get(n.port)!.cpuUs - before.redis.get(n.port)!.cpuUs) / s, commandsPerS: (after.redis.get(n.port)!.commands - before.redis.get(n.port)!.commands) / s }]));
}

let seq = 0;
/** Fresh pushes (a new MsgId and nonce each), round-robin over the accounts; the account is in the openid. */
function pool(accounts: readonly Account[], size: number): BuiltPush[] {
  const run = Date.now();
  return Array.from({ length: size }, (_, i) => {
    seq += 1;
    const account = accounts[i % accounts.length]!;
    const message = textMessage({ openid: `oClu${seq % 997}`, content: `cluster ${seq}`, msgId: `${run}${String(seq).padStart(9, '0')}` });
    return buildPush({ appid: account.appid, token: TOKEN, encodingAESKey: AES_KEY }, message, { mode: 'aes', basePath: `/wechat/${account.appid}` });
  });
}

/** Replies recorded at the mock since `since` (epoch ms), per appid. */
function repliesSince(mock: MockWeChat, since: number): Map<string, number> {
  const by = new Map<string, number>();
  for (const s of mock.state.sent({ path: SEND_PATH })) if (s.at >= since) by.set(s.appid, (by.get(s.appid) ?? 0) + 1);
  return by;
}

const nodeName = (n: RedisNode, masters: readonly number[], tagMaster?: number) =>
  n.role === 'master'
    ? `master ${masters.indexOf(n.port) + 1}${n.port === tagMaster ? " (the account's tag)" : ''}`
    : n.role === 'replica' && masters.includes(n.of)
      ? `replica of master ${masters.indexOf(n.of) + 1}`
      : n.role;

const round1 = (x: number) => Math.round(x * 10) / 10;

async function phase(stack: Stack, mock: MockWeChat, idle: Map<number, { usPerS: number; commandsPerS: number }>, { durationS, rate }: { durationS: number; rate: number }): Promise<TargetRound> {
  const warmupS = 1;
  const pushes = pool(stack.accounts, rate * (durationS + warmupS));
  const since = Date.now();
  const before = await read(stack.nodes, stack);
  const load = await runConstantRate(`${stack.serve.url}`, pushes, { rate, durationS, warmupS, connections: 32 });
  // The window closes when every push answered has its reply (bounded).
  const deadline = Date.now() + 20_000;
  let replies = repliesSince(mock, since);
  const total = () => [...replies.values()].reduce((a, b) => a + b, 0);
  while (total() < load.answered && Date.now() < deadline) {
    await sleep(100);
    replies = repliesSince(mock, since);
  }
  const after = await read(stack.nodes, stack);
  const windowS = (after.at - before.at) / 1000;
  const pushesOn = (port: number) => stack.accounts.filter((a) => a.node === port).reduce((n, a) => n + (replies.get(a.appid) ?? 0), 0);
  const masters = stack.nodes.filter((n) => n.role === 'master').map((n) => n.port);
  const all = total();
  const nodes = stack.nodes.map((n) => {
    const on = !stack.sharded && (n.role === 'master' || (n.role === 'replica' && masters.includes(n.of))) ? pushesOn(n.of) : all;
    const d = { cpuUs: after.redis.get(n.port)!.cpuUs - before.redis.get(n.port)!.cpuUs, commands: after.redis.get(n.port)!.commands - before.redis.get(n.port)!.commands };
    const rates = idle.get(n.port)!;
    return {
      role: n.role,
      figures: {
        node: nodeName(n, masters, stack.sharded?.tagMaster),
        pushes: on,
        usPerPush: round1(netUsPerPush({ cpuUs: d.cpuUs, idleUsPerS: rates.usPerS, windowS, pushes: on })),
        idleUsPerS: Math.round(rates.usPerS),
        commandsPerPush: round1(netUsPerPush({ cpuUs: d.commands, idleUsPerS: rates.commandsPerS, windowS, pushes: on })),
      },
      netUs: Math.max(0, d.cpuUs - rates.usPerS * windowS),
    };
  });
  const sumNet = (keep: (role: Role) => boolean) => nodes.filter((n) => keep(n.role)).reduce((s, n) => s + n.netUs, 0);
  const r: TargetRound = {
    target: stack.name,
    sent: pushes.length,
    answered: load.answered,
    replies: all,
    errors: load.errors + load.non2xx,
    windowS: round1(windowS),
    ackP50: load.p50,
    ackP99: load.p99,
    nodes: nodes.map((n) => n.figures),
    mastersUsPerPush: round1(sumNet((role) => role !== 'replica') / Math.max(1, all)),
    allRedisUsPerPush: round1(sumNet(() => true) / Math.max(1, all)),
    serveUsPerPush: Math.round(((after.serveMs - before.serveMs) * 1000) / Math.max(1, all)),
    workerUsPerPush: Math.round(((after.workerMs - before.workerMs) * 1000) / Math.max(1, all)),
  };
  console.log(
    `${r.target.padEnd(15)} ${r.answered}/${r.sent} answered, ${r.replies} replies, ${r.errors} errors in ${r.windowS} s; ack p50 ${r.ackP50} p99 ${r.ackP99} ms; Redis µs/push masters ${r.mastersUsPerPush} all ${r.allRedisUsPerPush} [${r.nodes.map((n) => `${n.node} ${n.usPerPush} (${n.pushes})`).join(', ')}]; serve ${r.serveUsPerPush} worker ${r.workerUsPerPush}`,
  );
  return r;
}

/**
 * The cluster's shards in slot order, each master with its replicas (from the master's INFO
 * replication: CLUSTER SLOTS on one node may not list them yet just after the cluster formed).
 */
async function clusterShards(cluster: OwnCluster): Promise<SlotRange[]> {
  const conn = cluster.node(cluster.nodes[0]!.port);
  try {
    const ranges = parseClusterSlots(await conn.call('CLUSTER', 'SLOTS')).sort((a, b) => a.from - b.from);
    const out: SlotRange[] = [];
    for (const r of ranges) {
      const master = cluster.node(r.master);
      const info = await master.info('replication');
      master.disconnect();
      out.push({ ...r, replicas: [...info.matchAll(/^slave\d+:.*port=(\d+)/gm)].map((m) => Number(m[1])) });
    }
    return out;
  } finally {
    conn.disconnect();
  }
}

/** One account whose three inbound shard tags (`{prefix:appid}`, `{prefix:appid:1}`, `…:2}`) sit on three masters. */
async function shardedAccount(cluster: OwnCluster, shards: readonly SlotRange[], prefix: string): Promise<Account> {
  const conn = cluster.node(cluster.nodes[0]!.port);
  try {
    for (let i = 0; i < 200; i += 1) {
      const appid = `wxbenchsharded${String(i).padStart(3, '0')}`;
      const tags = [`{${prefix}:${appid}}`, `{${prefix}:${appid}:1}`, `{${prefix}:${appid}:2}`];
      const on: number[] = [];
      for (const t of tags) on.push(masterOfSlot(shards, Number(await conn.call('CLUSTER', 'KEYSLOT', t))));
      if (new Set(on).size === 3) return { appid, node: on[0]! };
    }
    throw new Error('no appid found whose three shards sit on three masters');
  } finally {
    conn.disconnect();
  }
}

/** Six accounts, two on each master, for this prefix (the hash tag `{prefix:appid}` decides the slot). */
async function clusterAccounts(cluster: OwnCluster, shards: readonly SlotRange[], prefix: string): Promise<Account[]> {
  const conn = cluster.node(cluster.nodes[0]!.port);
  try {
    const candidates = [];
    for (let i = 0; i < 60; i += 1) {
      const appid = `wxbenchcluster${String(i).padStart(3, '0')}`;
      candidates.push({ appid, slot: Number(await conn.call('CLUSTER', 'KEYSLOT', `{${prefix}:${appid}}`)) });
    }
    return pickAccounts(candidates, shards, ACCOUNTS_PER_MASTER).map((c) => ({ appid: c.appid, node: c.master }));
  } finally {
    conn.disconnect();
  }
}

function connect(port: number): Redis {
  const c = new Redis({ port, host: '127.0.0.1', maxRetriesPerRequest: 1 });
  c.on('error', () => undefined);
  return c;
}

async function replicaOnline(primary: Redis): Promise<void> {
  for (let i = 0; i < 200; i += 1) {
    if (/^slave0:.*state=online/m.test(await primary.info('replication'))) return;
    await sleep(50);
  }
  throw new Error('the single Redis\'s replica did not come online');
}

async function startStack(
  name: TargetName,
  { accounts, nodes, redisEnv, dir, apiBase, prefix, sharded }: { accounts: Account[]; nodes: RedisNode[]; redisEnv: Record<string, string>; dir: string; apiBase: string; prefix: string; sharded?: Stack['sharded'] },
): Promise<Stack> {
  const tag = name.replace(/[^a-z0-9]+/g, '-');
  const appsFile = join(dir, `${tag}-apps.json`);
  writeFileSync(appsFile, JSON.stringify(accounts.map((a) => ({ appid: a.appid, token: TOKEN, encodingAESKey: AES_KEY, appsecret: 'bench-secret', mode: 'safe' }))));
  const env = {
    ...redisEnv,
    WXGATE_PREFIX: prefix,
    WXGATE_SPOOL_DIR: join(dir, `${tag}-spool`),
    WXGATE_APPS_FILE: appsFile,
    WECHAT_API_BASE: apiBase,
    // The per-appid send limit (500/s) is not what is measured.
    WXGATE_OUTBOUND_RATE: '5000',
    LOG_LEVEL: 'info',
  };
  const worker = await startWxgate({ command: 'worker', env, logFile: join(dir, `${tag}-worker.log`) });
  const serve = await startWxgate({ command: 'serve', env, logFile: join(dir, `${tag}-serve.log`) }).catch(async (err: unknown) => {
    await worker.stop();
    throw err;
  });
  return { name, accounts, nodes, serve, worker, ...(sharded && { sharded }) };
}

const spread = (xs: readonly number[], decimals = 1) => withSpread(xs, decimals);

function summarize(rounds: readonly TargetRound[]): TargetSummary {
  const med = (f: (r: TargetRound) => number) => round1(median(rounds.map(f)));
  return {
    target: rounds[0]!.target,
    pushes: rounds.reduce((n, r) => n + r.replies, 0),
    errors: rounds.reduce((n, r) => n + r.errors, 0),
    masters: spread(rounds.map((r) => r.mastersUsPerPush)),
    allRedis: spread(rounds.map((r) => r.allRedisUsPerPush)),
    serve: spread(rounds.map((r) => r.serveUsPerPush), 0),
    worker: spread(rounds.map((r) => r.workerUsPerPush), 0),
    ackP50: med((r) => r.ackP50),
    ackP99: med((r) => r.ackP99),
    nodes: rounds[0]!.nodes.map((n, i) => ({
      node: n.node,
      usPerPush: spread(rounds.map((r) => r.nodes[i]!.usPerPush)),
      idleUsPerS: Math.round(median(rounds.map((r) => r.nodes[i]!.idleUsPerS))),
      commandsPerPush: round1(median(rounds.map((r) => r.nodes[i]!.commandsPerPush))),
    })),
  };
}

export async function benchCluster({ rounds = CLUSTER_FULL.rounds, durationS = CLUSTER_FULL.durationS, rate = RATE }: { rounds?: number; durationS?: number; rate?: number } = {}): Promise<ClusterBench> {
  const dir = mkdtempSync(join(tmpdir(), 'wxgate-bench-cluster-'));
  const mock = createMockWeChat({}, { appsecrets: 'any', maxRecorded: 1_000_000 });
  const mockServer = await mock.listen(0, '127.0.0.1');
  const stacks: Stack[] = [];
  const conns: Redis[] = [];
  const singles: OwnRedis[] = [];
  let cluster: OwnCluster | undefined;
  const link = (port: number) => {
    const c = connect(port);
    conns.push(c);
    return c;
  };
  const t0 = Date.now();
  try {
    const single = await ownRedis();
    singles.push(single);
    await single.start();
    const primary = await ownRedis();
    singles.push(primary);
    await primary.start();
    const replica = await ownRedis({ args: ['--replicaof', '127.0.0.1', String(primary.port)] });
    singles.push(replica);
    await replica.start();
    cluster = await ownCluster();
    const shards = await clusterShards(cluster);
    await replicaOnline(link(primary.port));
    const clusterNodes: RedisNode[] = shards.flatMap((s) => [{ port: s.master, role: 'master' as const, of: s.master, conn: link(s.master) }, ...s.replicas.map((p) => ({ port: p, role: 'replica' as const, of: s.master, conn: link(p) }))]);
    const singleAccounts = (node: number) => Array.from({ length: ACCOUNTS }, (_, i) => ({ appid: `wxbenchsingle${String(i).padStart(3, '0')}`, node }));
    const base = { dir, apiBase: mockServer.url };
    const prefix = () => `wxclu${randomBytes(3).toString('hex')}`;
    const clusterEnv = { REDIS_CLUSTER_NODES: cluster.nodesList };
    const [p3, p4, p5] = [prefix(), prefix(), prefix()];
    const big = await shardedAccount(cluster, shards, p5);
    const specs: [TargetName, Parameters<typeof startStack>[1]][] = [
      ['single', { ...base, prefix: prefix(), accounts: singleAccounts(single.port), nodes: [{ port: single.port, role: 'single', of: single.port, conn: link(single.port) }], redisEnv: { REDIS_URL: single.url } }],
      [
        'single+replica',
        {
          ...base,
          prefix: prefix(),
          accounts: singleAccounts(primary.port),
          nodes: [{ port: primary.port, role: 'primary', of: primary.port, conn: link(primary.port) }, { port: replica.port, role: 'replica', of: primary.port, conn: link(replica.port) }],
          redisEnv: { REDIS_URL: primary.url },
        },
      ],
      ['cluster', { ...base, prefix: p3, accounts: await clusterAccounts(cluster, shards, p3), nodes: clusterNodes, redisEnv: clusterEnv }],
      ['cluster+WAIT 1', { ...base, prefix: p4, accounts: await clusterAccounts(cluster, shards, p4), nodes: clusterNodes, redisEnv: { ...clusterEnv, WXGATE_REDIS_WAIT_REPLICAS: '1' } }],
      ['one account, 3 shards', { ...base, prefix: p5, accounts: [big], nodes: clusterNodes, redisEnv: { ...clusterEnv, WXGATE_QUEUE_SHARDS: '3' }, sharded: { tagMaster: big.node } }],
    ];
    // Started together (each process's start-up is mostly waiting); one failing stops the others in `finally`.
    const started = await Promise.allSettled(specs.map(([name, o]) => startStack(name, o)));
    for (const r of started) if (r.status === 'fulfilled') stacks.push(r.value);
    const failed = started.find((r) => r.status === 'rejected');
    if (failed) throw failed.reason;
    console.log(`started in ${Math.round((Date.now() - t0) / 1000)} s`);
    const allNodes = [...new Map(stacks.flatMap((s) => s.nodes).map((n) => [n.port, n])).values()];
    console.log(`accounts on the cluster: ${stacks.slice(2, 4).map((s) => `${s.name}: ${s.accounts.map((a) => `${a.appid}→${a.node}`).join(' ')}`).join('; ')}`);
    // Warm-up: JIT, connections, each account's access_token; not measured.
    for (const s of stacks) await runConstantRate(s.serve.url, pool(s.accounts, rate * 3), { rate, durationS: 2, warmupS: 1, connections: 32 });
    await sleep(2000);
    console.log(`warmed up at ${Math.round((Date.now() - t0) / 1000)} s`);

    const perRound: TargetRound[][] = [];
    for (let i = 0; i < rounds; i += 1) {
      const idle = await idleRates(allNodes);
      const order = stacks.map((_, k) => stacks[(k + i) % stacks.length]!);
      const results = new Map<TargetName, TargetRound>();
      for (const s of order) results.set(s.name, await phase(s, mock, idle, { durationS, rate }));
      perRound.push(TARGETS.map((t) => results.get(t)!));
      console.log(`round ${i + 1}/${rounds} done at ${Math.round((Date.now() - t0) / 1000)} s`);
    }

    const costs = (f: (r: TargetRound) => number): RoundCosts[] => perRound.map((round) => Object.fromEntries(round.map((r) => [r.target, f(r)])));
    const masters = costs((r) => r.mastersUsPerPush);
    const serve = costs((r) => r.serveUsPerPush);
    const targets = TARGETS.map((t, k) => summarize(perRound.map((round) => round[k]!)));
    const clusterSummary = targets[2]!;
    const busiest = clusterSummary.nodes.filter((n) => n.node.startsWith('master')).reduce((a, b) => (b.usPerPush.median > a.usPerPush.median ? b : a));
    const singleUs = targets[0]!.masters.median;
    const planning = shardCeiling(busiest.usPerPush.median, { coreShare: PLAN_SHARE, idleUsPerS: busiest.idleUsPerS });
    const tag = targets[4]!.nodes.find((x) => x.node.includes("account's tag"))!;
    return {
      rounds,
      durationS,
      rate,
      accounts: ACCOUNTS,
      perRound,
      targets,
      clusterVsSingle: pairedRatio(masters, 'single', 'cluster'),
      replicaFeedVsSingle: pairedRatio(masters, 'single', 'single+replica'),
      clusterVsSingleReplica: pairedRatio(masters, 'single+replica', 'cluster'),
      waitServe: pairedRatio(serve, 'cluster', 'cluster+WAIT 1'),
      waitServeUs: pairedDifference(serve, 'cluster+WAIT 1', 'cluster'),
      waitMasters: pairedRatio(masters, 'cluster', 'cluster+WAIT 1'),
      shardedVsCluster: pairedRatio(masters, 'cluster', 'one account, 3 shards'),
      plan: {
        usPerPush: busiest.usPerPush.median,
        idleUsPerS: busiest.idleUsPerS,
        ceiling: shardCeiling(busiest.usPerPush.median, { idleUsPerS: busiest.idleUsPerS }),
        planShare: PLAN_SHARE,
        planning,
        planRate: PLAN_RATE,
        shards: shardsNeeded(PLAN_RATE, planning),
        singleUsPerPush: singleUs,
        singleCeiling: shardCeiling(singleUs, { idleUsPerS: targets[0]!.nodes[0]!.idleUsPerS }),
        oneAccountUsPerPush: tag.usPerPush.median,
        oneAccountCeiling: shardCeiling(tag.usPerPush.median, { idleUsPerS: tag.idleUsPerS }),
        oneAccountPlanning: shardCeiling(tag.usPerPush.median, { coreShare: PLAN_SHARE, idleUsPerS: tag.idleUsPerS }),
      },
    };
  } finally {
    for (const s of stacks) {
      await s.serve.stop();
      await s.worker.stop();
    }
    for (const c of conns) c.disconnect();
    await cluster?.stop();
    for (const r of singles) {
      await r.stop();
      rmSync(r.dir, { recursive: true, force: true });
    }
    await mockServer.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Why a result is not to be recorded: fewer rounds or shorter phases than the record's. */
export function clusterSmoke(r: ClusterBench): string[] {
  const reasons: string[] = [];
  if (r.rounds < CLUSTER_FULL.rounds) reasons.push(`${r.rounds} round(s), the record has ${CLUSTER_FULL.rounds}`);
  if (r.durationS < CLUSTER_FULL.durationS) reasons.push(`${r.durationS} s phases, the record has ${CLUSTER_FULL.durationS} s`);
  if (r.targets.some((t) => t.errors > 0)) reasons.push('pushes failed');
  return reasons;
}

const fmt = (s: Spread) => `${s.median} (${s.min}–${s.max})`;
const ratio = (p: PairedRatio) => `${p.median}× (${p.min}–${p.max})`;
const n = (x: number) => x.toLocaleString('en-US');

export function clusterTable(r: ClusterBench): string {
  const perCommand = (us: number, commands: number) => (commands > 0 ? Math.round((us / commands) * 100) / 100 : '—');
  const node = (t: TargetSummary) => t.nodes.map((x) => `| ${t.target} | ${x.node} | ${fmt(x.usPerPush)} | ${x.commandsPerPush} | ${perCommand(x.usPerPush.median, x.commandsPerPush)} | ${n(x.idleUsPerS)} |`);
  const p = r.plan;
  return [
    `\`wxgate serve\` + \`wxgate worker\` (safe mode, built-in echo handler replying through custom/send) → mock WeChat API, ${r.accounts} accounts, ${r.rate} signed pushes/s spread evenly over them; on the cluster (3 masters, 3 replicas) two accounts on each master; \`one account, 3 shards\` puts the whole rate on one account with WXGATE_QUEUE_SHARDS=3, its three inbound queues on the three masters. ${r.rounds} paired rounds of ${r.durationS} s per target, medians (min–max). A window runs from the first push to the last reply: receive, queue, worker and reply, the whole path of a push. Redis CPU from INFO (user + system), net of each Redis's idle floor measured in every round; wxgate's from /proc.`,
    '',
    '| target | Redis CPU µs per push: masters (or the one Redis) | all Redis, replicas included | receiver µs per push | worker µs per push | ack p50 / p99 ms | pushes replied to, errors |',
    '|---|---:|---:|---:|---:|---:|---:|',
    ...r.targets.map((t) => `| ${t.target} | ${fmt(t.masters)} | ${fmt(t.allRedis)} | ${fmt(t.serve)} | ${fmt(t.worker)} | ${t.ackP50} / ${t.ackP99} | ${n(t.pushes)}, ${t.errors} |`),
    '',
    'Each Redis: CPU per push of the accounts it holds (a replica: its master\'s; with one account over shards: of all its pushes), commands per push (a Lua script\'s own calls included), idle floor.',
    '',
    '| target | Redis | CPU µs per push | commands per push | µs per command | idle µs/s |',
    '|---|---|---:|---:|---:|---:|',
    ...r.targets.flatMap(node),
    '',
    '| ratio within a round (masters\' Redis CPU per push) | value |',
    '|---|---:|',
    `| cluster ÷ single Redis | ${ratio(r.clusterVsSingle)} |`,
    `| single Redis feeding a replica ÷ single Redis | ${ratio(r.replicaFeedVsSingle)} |`,
    `| cluster ÷ single Redis feeding a replica | ${ratio(r.clusterVsSingleReplica)} |`,
    `| cluster with WAIT 1 ÷ cluster | ${ratio(r.waitMasters)} |`,
    `| one account over 3 inbound shards ÷ six accounts (cluster) | ${ratio(r.shardedVsCluster)} |`,
    `| receiver CPU per push, WAIT 1 ÷ unset | ${ratio(r.waitServe)} (+${r.waitServeUs} µs) |`,
    '',
    `The plan, from the busiest master's median (${p.usPerPush} µs per push, ${n(p.idleUsPerS)} µs/s idle): one shard's ceiling is ${n(p.ceiling)} pushes/s at 100 % of its one core, where queues and latency have long grown; planned at ${Math.round(p.planShare * 100)} % of the core, ${n(p.planning)} pushes/s per shard, so ${n(p.planRate)} pushes/s need ${p.shards} shards (masters, each with its replica, on cores of their own). All of wxgate on one Redis: ${p.singleUsPerPush} µs per push, a ceiling of ${n(p.singleCeiling)} pushes/s. One account over 3 inbound shards is bound by the master of its own tag (its replies, nonces and quotas stay there): ${p.oneAccountUsPerPush} µs per push of the account, a ceiling of ${n(p.oneAccountCeiling)} pushes/s, ${n(p.oneAccountPlanning)} at ${Math.round(p.planShare * 100)} %.`,
  ].join('\n');
}
