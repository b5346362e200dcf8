// The receive path, side by side in one run (issue 16 §5). The primary figure is each target's
// CPU per push answered, from /proc: a bare node:http server (the machine's floor, a reference),
// co-wechat with an empty handler, co-wechat doing the same BullMQ add, wxgate in plaintext and
// safe mode, and wxgate's receiver with the enqueue left out. Then the plaintext receiver at a
// constant half of its own saturation rate in this run, for its p99. Targets and verdicts:
// bench/lib/receive-targets.ts.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildPush, textMessage, type BuiltPush, type PushMode } from '../src/dev/pushes.js';
import { REDIS_URL } from './lib/gateway-env.js';
import { deletePrefix } from './lib/redis-cleanup.js';
import { runConstantRate } from './lib/constant-rate.js';
import { runLoad, type LoadResult } from './lib/load.js';
import { median, type Spread, withSpread } from './lib/median.js';
import { pairedDifference, type RoundCosts } from './lib/paired-rounds.js';
import { halfSaturationRate, judgeReceiveTargets, SUBJECTS, type Verdict } from './lib/receive-targets.js';
import { redisCpuMs } from './lib/redis-cpu.js';
import { startTarget, type RunningTarget } from './lib/target.js';

const ACCOUNT = { appid: 'wxbench000000001', token: 'benchtoken', encodingAESKey: 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG' };

export interface TargetResult extends LoadResult {
  readonly target: string;
  readonly rssMiB: number;
  /** The target's own CPU time (user + system, from /proc) per push answered, µs: the primary figure. */
  readonly cpuUsPerReq: number;
  /** Redis's CPU time per push answered (INFO cpu), and the load generator's (this process). */
  readonly redisCpuUsPerReq: number;
  readonly loaderCpuUsPerReq: number;
}

/** A target's figures over the rounds: medians, with the range of its CPU per push. */
export interface TargetSummary extends TargetResult {
  readonly cpu: Spread;
}

let seq = 0;
export function pool(size: number, mode: PushMode, basePath: string): BuiltPush[] {
  const run = Date.now();
  return Array.from({ length: size }, () => {
    seq += 1;
    const msgId = `${run}${String(seq).padStart(8, '0')}`;
    return buildPush(ACCOUNT, textMessage({ openid: `oBench${seq % 1000}`, content: `bench ${seq}`, msgId }), { mode, basePath });
  });
}

export interface TargetSpec {
  name: string;
  script: string;
  mode: PushMode;
  path: string;
  env: (prefix: string, spoolDir: string) => Record<string, string>;
}

/** The account in the mode its pushes come in (WECHAT_MESSAGE_MODE): plain for plaintext, safe for aes. */
const wxgateEnv = (mode: PushMode) => (prefix: string, spoolDir: string) => ({
  WECHAT_APPID: ACCOUNT.appid,
  WECHAT_TOKEN: ACCOUNT.token,
  WECHAT_ENCODING_AES_KEY: ACCOUNT.encodingAESKey,
  WECHAT_MESSAGE_MODE: mode === 'plain' ? 'plain' : 'safe',
  WXGATE_PREFIX: prefix,
  WXGATE_SPOOL_DIR: spoolDir,
  REDIS_URL,
  LOG_LEVEL: 'info',
});

const coWechatEnv = (enqueue: boolean) => (prefix: string) => ({ BENCH_APPID: ACCOUNT.appid, BENCH_TOKEN: ACCOUNT.token, BENCH_PREFIX: prefix, ...(enqueue && { BENCH_ENQUEUE: '1' }) });

export const TARGETS: TargetSpec[] = [
  { name: SUBJECTS.bare, script: 'bare.ts', mode: 'plain', path: '/wechat', env: () => ({}) },
  { name: SUBJECTS.peerEmpty, script: 'co-wechat.ts', mode: 'plain', path: '/wechat', env: coWechatEnv(false) },
  { name: SUBJECTS.peerAdd, script: 'co-wechat.ts', mode: 'plain', path: '/wechat', env: coWechatEnv(true) },
  { name: SUBJECTS.plaintext, script: 'wxgate.ts', mode: 'plain', path: '/wechat', env: wxgateEnv('plain') },
  { name: SUBJECTS.safe, script: 'wxgate.ts', mode: 'aes', path: '/wechat', env: wxgateEnv('aes') },
  { name: SUBJECTS.noEnqueue, script: 'wxgate-no-enqueue.ts', mode: 'plain', path: '/wechat', env: wxgateEnv('plain') },
];
const spec = (name: string) => TARGETS.find((t) => t.name === name)!;

interface Started {
  readonly spec: TargetSpec;
  readonly prefix: string;
  readonly spoolDir: string;
  readonly target: RunningTarget;
}

async function start(spec: TargetSpec, logDir: string): Promise<Started> {
  const prefix = `wxbench-${randomUUID().slice(0, 8)}`;
  const spoolDir = mkdtempSync(join(tmpdir(), 'wxgate-bench-spool-'));
  const target = await startTarget(spec.script, spec.env(prefix, spoolDir), join(logDir, `${spec.script}-${spec.mode}-${prefix}.log`));
  return { spec, prefix, spoolDir, target };
}

async function stop({ target, prefix, spoolDir }: Started): Promise<void> {
  await target.stop();
  await deletePrefix(REDIS_URL, prefix);
  rmSync(spoolDir, { recursive: true, force: true });
}

/** One measured load on one target: fresh pushes (a new MsgId and nonce each), its CPU read from /proc. */
async function measure({ spec, target, prefix }: Started, load: { durationS: number; rate?: number; poolSize: number }): Promise<TargetResult> {
  const requests = pool(load.poolSize, spec.mode, spec.path);
  const cpuBefore = target.cpuMs();
  const redisBefore = await redisCpuMs(REDIS_URL);
  const loaderBefore = process.cpuUsage();
  const result = load.rate ? await runConstantRate(target.url, requests, { rate: load.rate, durationS: load.durationS }) : await runLoad(target.url, requests, { durationS: load.durationS });
  const loader = process.cpuUsage(loaderBefore);
  const perPush = (ms: number) => Math.round((ms * 1000) / Math.max(1, result.answered));
  const measured = {
    target: spec.name,
    ...result,
    rssMiB: target.rssMiB(),
    cpuUsPerReq: perPush(target.cpuMs() - cpuBefore),
    redisCpuUsPerReq: perPush((await redisCpuMs(REDIS_URL)) - redisBefore),
    loaderCpuUsPerReq: perPush((loader.user + loader.system) / 1000),
  };
  await deletePrefix(REDIS_URL, prefix); // every round starts from the same (empty) Redis
  return measured;
}

/** A target's figure over its rounds (or runs): the median of each (RSS: the largest), CPU per push with its range. */
function summarize(rounds: readonly TargetResult[]): TargetSummary {
  const med = (f: (r: TargetResult) => number, decimals = 0) => Math.round(median(rounds.map(f)) * 10 ** decimals) / 10 ** decimals;
  const sum = (f: (r: TargetResult) => number) => rounds.reduce((n, r) => n + f(r), 0);
  return {
    target: rounds[0]!.target,
    requests: sum((r) => r.requests),
    answered: sum((r) => r.answered),
    rps: med((r) => r.rps),
    p50: med((r) => r.p50, 1),
    p99: med((r) => r.p99, 1),
    non2xx: sum((r) => r.non2xx),
    statuses: rounds.reduce<Record<string, number>>((all, r) => {
      for (const [code, n] of Object.entries(r.statuses ?? {})) all[code] = (all[code] ?? 0) + n;
      return all;
    }, {}),
    errors: sum((r) => r.errors),
    rssMiB: Math.max(...rounds.map((r) => r.rssMiB)),
    cpuUsPerReq: med((r) => r.cpuUsPerReq),
    cpu: withSpread(rounds.map((r) => r.cpuUsPerReq), 0),
    redisCpuUsPerReq: med((r) => r.redisCpuUsPerReq),
    loaderCpuUsPerReq: med((r) => r.loaderCpuUsPerReq),
  };
}

/** One round's CPU per push by target name: what the targets' ratios are taken from. */
export const roundCosts = (round: readonly TargetResult[]): RoundCosts => Object.fromEntries(round.map((t) => [t.target, t.cpuUsPerReq]));

export interface ReceiveOptions {
  /** Paired rounds of the throughput phase; a run with fewer than 5 is a smoke run (not recorded). */
  rounds?: number;
  /** Seconds of load per target per round. */
  durationS?: number;
  /** Runs of the constant-rate phase, and seconds of each (after 1 s of warm-up at the rate). */
  rateRuns?: number;
  rateDurationS?: number;
}

export interface AtRate {
  readonly target: string;
  readonly runs: TargetResult[];
  readonly summary: TargetSummary;
}

export interface ReceiveBench {
  readonly rounds: number;
  readonly durationS: number;
  readonly rateRuns: number;
  readonly rateDurationS: number;
  /** Every round's figures, in the order of TARGETS. */
  readonly perRound: TargetResult[][];
  /** The medians of the rounds, per target. */
  readonly throughput: TargetSummary[];
  /** wxgate plaintext's req/s at saturation (median of the rounds), and half of it: the constant rate. */
  readonly saturationRps: number;
  readonly rate: number;
  /** At the constant rate: the bare server, co-wechat + BullMQ add (references) and wxgate plaintext, each run in that order. */
  readonly atRate: AtRate[];
  /** What the durable enqueue adds to a plaintext push, and BullMQ's add to co-wechat's (µs, medians of differences within a round). */
  readonly enqueueCpuUs: number;
  readonly peerAddCpuUs: number;
  readonly targets: Verdict[];
}

/** Starts the targets (in the given order) and warms each up: JIT, keep-alive connections. */
async function startWarm(specs: readonly TargetSpec[], logDir: string, started: Started[]): Promise<Started[]> {
  const now: Started[] = [];
  for (const spec of specs) {
    const s = await start(spec, logDir);
    started.push(s);
    now.push(s);
  }
  for (const s of now) await runLoad(s.target.url, pool(2000, s.spec.mode, s.spec.path), { durationS: 2 });
  return now;
}

async function stopAll(round: readonly Started[], started: Started[]): Promise<void> {
  for (const s of round) await stop(started.splice(started.indexOf(s), 1)[0]!);
}

/**
 * Every target of a round runs at once (idle when not loaded) and is loaded in turn, in an
 * order rotated each round; a ratio is taken within a round, from loads seconds apart, because
 * these machines drift by up to 2× over minutes. Each round starts fresh processes: processes
 * of the same code, measured side by side, differed by up to 15 % for their whole life, so one
 * process per target would carry its luck into every round.
 */
async function throughputRounds(rounds: number, durationS: number, logDir: string, started: Started[]): Promise<TargetResult[][]> {
  const perRound: TargetResult[][] = [];
  for (let r = 0; r < rounds; r++) {
    const round = await startWarm(TARGETS.map((_, k) => TARGETS[(k + r) % TARGETS.length]!), logDir, started);
    const results = new Map<string, TargetResult>();
    for (const s of round) results.set(s.spec.name, await measure(s, { durationS, poolSize: 80_000 }));
    await stopAll(round, started);
    perRound.push(TARGETS.map((t) => results.get(t.name)!));
    console.log(`round ${r + 1}: ${perRound[r]!.map((t) => `${t.target} ${t.cpuUsPerReq} µs/push ${t.rps} req/s`).join(' | ')}`);
  }
  return perRound;
}

/**
 * The plaintext receiver at `rate`, `runs` times; before each, the bare server (what the machine
 * and the load generator allowed a server that only answers in that window) and co-wechat +
 * BullMQ add (a peer that also waits for Redis before answering) at the same rate.
 */
async function constantRateRuns(rate: number, runs: number, durationS: number, logDir: string, started: Started[]): Promise<AtRate[]> {
  const order = [SUBJECTS.bare, SUBJECTS.peerAdd, SUBJECTS.plaintext];
  const targets = await startWarm(order.map(spec), logDir, started);
  const load = { durationS, rate, poolSize: Math.ceil(rate * (durationS + 1)) + 1000 }; // + the loader's 1 s warm-up
  const results = targets.map(() => [] as TargetResult[]);
  for (let i = 0; i < runs; i++) {
    for (const [k, s] of targets.entries()) results[k]!.push(await measure(s, load));
  }
  await stopAll(targets, started);
  return order.map((target, k) => ({ target, runs: results[k]!, summary: summarize(results[k]!) }));
}

export async function benchReceive({ rounds = 5, durationS = 4, rateRuns = 5, rateDurationS = 10 }: ReceiveOptions = {}): Promise<ReceiveBench> {
  const logDir = mkdtempSync(join(tmpdir(), 'wxgate-bench-receive-'));
  const started: Started[] = [];
  try {
    const perRound = await throughputRounds(rounds, durationS, logDir, started);
    const throughput = TARGETS.map((_, i) => summarize(perRound.map((round) => round[i]!)));
    for (const t of throughput) console.log(`${t.target.padEnd(30)} ${String(t.cpuUsPerReq).padStart(5)} µs CPU/push (${t.cpu.min}–${t.cpu.max}; Redis ${t.redisCpuUsPerReq}, load generator ${t.loaderCpuUsPerReq})  ${String(t.rps).padStart(6)} req/s  non-2xx ${t.non2xx} ${JSON.stringify(t.statuses)}  errors ${t.errors}`);
    const saturationRps = throughput.find((t) => t.target === SUBJECTS.plaintext)!.rps;
    const rate = halfSaturationRate(saturationRps);
    const atRate = await constantRateRuns(rate, rateRuns, rateDurationS, logDir, started);
    for (const a of atRate) console.log(`${a.target.padEnd(30)} @${rate} req/s  p50 ${a.summary.p50} ms  p99 ${a.summary.p99} ms (runs: ${a.runs.map((r) => r.p99).join(', ')})  ${a.summary.cpuUsPerReq} µs CPU/push`);
    const costs = perRound.map(roundCosts);
    const plaintextAtRate = atRate.find((a) => a.target === SUBJECTS.plaintext)!;
    const targets = judgeReceiveTargets(costs, { saturationRps, rate, p99Ms: plaintextAtRate.runs.map((r) => r.p99) });
    for (const v of targets) console.log(`${v.met === undefined ? 'not measured' : v.met ? 'met' : 'MISSED'}: ${v.target} ${v.wanted}: ${v.figure?.median ?? '—'}${v.unit} (${v.figure?.min}–${v.figure?.max})`);
    return {
      rounds,
      durationS,
      rateRuns,
      rateDurationS,
      perRound,
      throughput,
      saturationRps,
      rate,
      atRate,
      enqueueCpuUs: pairedDifference(costs, SUBJECTS.plaintext, SUBJECTS.noEnqueue),
      peerAddCpuUs: pairedDifference(costs, SUBJECTS.peerAdd, SUBJECTS.peerEmpty),
      targets,
    };
  } finally {
    for (const s of started) await stop(s);
    rmSync(logDir, { recursive: true, force: true });
  }
}
