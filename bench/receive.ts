// The receive path, side by side in one run (issue 2): a bare node:http server (the ceiling),
// co-wechat with an empty handler, co-wechat doing the same BullMQ add, and wxgate in plaintext
// and safe mode; then wxgate at a constant 2,000 req/s for latency.
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildPush, textMessage, type BuiltPush, type PushMode } from '../src/dev/pushes.js';
import { REDIS_URL } from './lib/gateway-env.js';
import { deletePrefix } from './lib/redis-cleanup.js';
import { runConstantRate } from './lib/constant-rate.js';
import { runLoad, type LoadResult } from './lib/load.js';
import { redisCpuMs } from './lib/redis-cpu.js';
import { startTarget, type RunningTarget } from './lib/target.js';

const ACCOUNT = { appid: 'wxbench000000001', token: 'benchtoken', encodingAESKey: 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG' };

export interface TargetResult extends LoadResult {
  readonly target: string;
  readonly rssMiB: number;
  /** The target's own CPU time per answered request (user + system): steadier than req/s on a shared machine. */
  readonly cpuUsPerReq: number;
  /** Redis's CPU time per answered request (INFO cpu), and the load generator's (this process). */
  readonly redisCpuUsPerReq: number;
  readonly loaderCpuUsPerReq: number;
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

/** wxgate's receiver with the enqueue left out: a diagnostic beside the targets, not one of them (targets/wxgate-no-enqueue.ts). */
export const NO_ENQUEUE = 'wxgate plaintext, no enqueue (diagnostic)';

export const TARGETS: TargetSpec[] = [
  { name: 'bare node:http', script: 'bare.ts', mode: 'plain', path: '/wechat', env: () => ({}) },
  { name: 'co-wechat (empty handler)', script: 'co-wechat.ts', mode: 'plain', path: '/wechat', env: (p) => ({ BENCH_APPID: ACCOUNT.appid, BENCH_TOKEN: ACCOUNT.token, BENCH_PREFIX: p }) },
  { name: 'co-wechat + BullMQ add', script: 'co-wechat.ts', mode: 'plain', path: '/wechat', env: (p) => ({ BENCH_APPID: ACCOUNT.appid, BENCH_TOKEN: ACCOUNT.token, BENCH_PREFIX: p, BENCH_ENQUEUE: '1' }) },
  ...(['plain', 'aes'] as const).map((mode) => ({ name: `wxgate ${mode === 'plain' ? 'plaintext' : 'safe mode'}`, script: 'wxgate.ts', mode, path: '/wechat', env: wxgateEnv(mode) })),
  { name: NO_ENQUEUE, script: 'wxgate-no-enqueue.ts', mode: 'plain', path: '/wechat', env: wxgateEnv('plain') },
];

interface Started {
  readonly spec: TargetSpec;
  readonly prefix: string;
  readonly spoolDir: string;
  readonly target: RunningTarget;
}

async function start(spec: TargetSpec, logDir: string): Promise<Started> {
  const prefix = `wxbench-${randomUUID().slice(0, 8)}`;
  const spoolDir = mkdtempSync(join(tmpdir(), 'wxgate-bench-spool-'));
  const target = await startTarget(spec.script, spec.env(prefix, spoolDir), join(logDir, `${spec.script}-${spec.mode}.log`));
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
  const perReq = (ms: number) => Math.round((ms * 1000) / Math.max(1, result.sent ?? result.requests));
  const measured = {
    target: spec.name,
    ...result,
    rssMiB: target.rssMiB(),
    cpuUsPerReq: perReq(target.cpuMs() - cpuBefore),
    redisCpuUsPerReq: perReq((await redisCpuMs(REDIS_URL)) - redisBefore),
    loaderCpuUsPerReq: perReq((loader.user + loader.system) / 1000),
  };
  await deletePrefix(REDIS_URL, prefix); // every round starts from the same (empty) Redis
  return measured;
}

const median = (xs: readonly number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const round2 = (x: number) => Math.round(x * 100) / 100;

/** The per-target figure of the run: the median of its rounds (RSS: the largest). */
function summarize(rounds: readonly TargetResult[]): TargetResult {
  const med = (f: (r: TargetResult) => number) => Math.round(median(rounds.map(f)) * 10) / 10;
  return {
    target: rounds[0]!.target,
    requests: rounds.reduce((n, r) => n + r.requests, 0),
    rps: Math.round(median(rounds.map((r) => r.rps))),
    p50: med((r) => r.p50),
    p99: med((r) => r.p99),
    non2xx: rounds.reduce((n, r) => n + r.non2xx, 0),
    statuses: rounds.reduce<Record<string, number>>((all, r) => {
      for (const [code, n] of Object.entries(r.statuses ?? {})) all[code] = (all[code] ?? 0) + n;
      return all;
    }, {}),
    errors: rounds.reduce((n, r) => n + r.errors, 0),
    rssMiB: Math.max(...rounds.map((r) => r.rssMiB)),
    cpuUsPerReq: Math.round(median(rounds.map((r) => r.cpuUsPerReq))),
    redisCpuUsPerReq: Math.round(median(rounds.map((r) => r.redisCpuUsPerReq))),
    loaderCpuUsPerReq: Math.round(median(rounds.map((r) => r.loaderCpuUsPerReq))),
  };
}

export interface ReceiveBench {
  readonly rounds: number;
  readonly durationS: number;
  readonly throughput: TargetResult[];
  readonly perRound: TargetResult[][];
  /** Median of the constant-rate runs (p50 and p99 each the median of the runs'). */
  readonly constantRate: TargetResult;
  readonly constantRateRuns: TargetResult[];
  /** The bare server at the same rate, each run just before wxgate's: the machine's floor in that window. */
  readonly constantRateBare: TargetResult;
  readonly constantRateBareRuns: TargetResult[];
  /** co-wechat + BullMQ add at the same rate, each run between the bare server's and wxgate's: the peer doing our work. */
  readonly constantRatePeer: TargetResult;
  readonly constantRatePeerRuns: TargetResult[];
  readonly ratios: Record<string, { rps: number; cpu: number }>;
  /**
   * Not targets: where a gap comes from. ownWork: wxgate without its enqueue against co-wechat
   * with an empty handler (the work both do); enqueueCpuUs: what the durable enqueue adds to a
   * plaintext push; peerAddCpuUs: what BullMQ's add adds to co-wechat's.
   */
  readonly diagnostic: { ownWork: { rps: number; cpu: number }; enqueueCpuUs: number; peerAddCpuUs: number };
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

/**
 * Every target of a round runs at once (idle when not loaded) and is loaded in turn, `rounds`
 * times, in an order rotated each round. This machine drifts by a factor of two over minutes
 * (bench/README.md): a ratio is taken within each round, from loads seconds apart, and the
 * median of the rounds' ratios is reported. Each round starts fresh processes: two processes of
 * the same code measured side by side differed by up to 15 % for their whole life, so one
 * process per target would carry its luck into every round.
 */
export async function benchReceive({ durationS = 4, rounds = 5 }: { durationS?: number; rounds?: number } = {}): Promise<ReceiveBench> {
  const logDir = join(import.meta.dirname, 'results', 'tmp');
  mkdirSync(logDir, { recursive: true });
  const started: Started[] = [];
  try {
    const perRound: TargetResult[][] = [];
    for (let r = 0; r < rounds; r++) {
      const rotated = TARGETS.map((_, k) => TARGETS[(k + r) % TARGETS.length]!);
      const round = await startWarm(rotated, logDir, started);
      const results = new Map<string, TargetResult>();
      for (const s of round) results.set(s.spec.name, await measure(s, { durationS, poolSize: 80_000 }));
      for (const s of round) await stop(started.splice(started.indexOf(s), 1)[0]!);
      perRound.push(TARGETS.map((t) => results.get(t.name)!));
      console.log(`round ${r + 1}: ${perRound[r]!.map((t) => `${t.target} ${t.rps} req/s ${t.cpuUsPerReq} µs`).join(' | ')}`);
    }
    const throughput = TARGETS.map((_, i) => summarize(perRound.map((round) => round[i]!)));
    for (const t of throughput) console.log(`${t.target.padEnd(28)} ${String(t.rps).padStart(7)} req/s  ${String(t.cpuUsPerReq).padStart(5)} µs CPU/req (Redis ${t.redisCpuUsPerReq}, load generator ${t.loaderCpuUsPerReq})  p50 ${t.p50} ms  p99 ${t.p99} ms  rss ${t.rssMiB} MiB  non-2xx ${t.non2xx} ${JSON.stringify(t.statuses)}  errors ${t.errors}`);
    // Latency at 2,000 req/s, three 10 s runs: one window of this machine's noise is not the
    // figure. The bare server runs just before each, at the same rate: its p99 is what the
    // machine and the load generator allowed a server that only answers in that window (on the fifth
    // session's machine it ranged 6.5–155 ms between runs; bench/README.md). co-wechat + BullMQ add
    // runs between them: the peer that pays the same Redis round trip before answering.
    const [plain, bare, peer] = await startWarm([TARGETS[3]!, TARGETS[0]!, TARGETS[2]!], logDir, started);
    const constantRateRuns: TargetResult[] = [];
    const constantRateBareRuns: TargetResult[] = [];
    const constantRatePeerRuns: TargetResult[] = [];
    const atRate = { durationS: 10, rate: 2000, poolSize: 2000 * (10 + 1) + 1000 }; // + the loader's 1 s warm-up
    for (let i = 0; i < 3; i++) {
      constantRateBareRuns.push(await measure(bare!, atRate));
      constantRatePeerRuns.push(await measure(peer!, atRate));
      constantRateRuns.push(await measure(plain!, atRate));
    }
    const constantRate = summarize(constantRateRuns);
    const constantRateBare = summarize(constantRateBareRuns);
    const constantRatePeer = summarize(constantRatePeerRuns);
    const p99s = (runs: TargetResult[]) => runs.map((r) => r.p99).join(', ');
    console.log(`wxgate plaintext @2000 req/s  p50 ${constantRate.p50} ms  p99 ${constantRate.p99} ms (runs: ${p99s(constantRateRuns)} ms)`);
    console.log(`bare node:http   @2000 req/s  p50 ${constantRateBare.p50} ms  p99 ${constantRateBare.p99} ms (runs: ${p99s(constantRateBareRuns)} ms)`);
    console.log(`co-wechat + add  @2000 req/s  p50 ${constantRatePeer.p50} ms  p99 ${constantRatePeer.p99} ms (runs: ${p99s(constantRatePeerRuns)} ms)`);
    // Throughput ratio (req/s) and the same ratio from CPU per request (inverse), per round, then the median.
    const of = (round: TargetResult[], name: string) => round.find((t) => t.target === name)!;
    const ratio = (a: string, b: string) => ({
      rps: round2(median(perRound.map((round) => of(round, a).rps / of(round, b).rps))),
      cpu: round2(median(perRound.map((round) => of(round, b).cpuUsPerReq / of(round, a).cpuUsPerReq))),
    });
    const ratios = {
      'wxgate plaintext / co-wechat + BullMQ add (target ≥ 1.2)': ratio('wxgate plaintext', 'co-wechat + BullMQ add'),
      'wxgate plaintext / co-wechat (empty handler) (target ≥ 0.85)': ratio('wxgate plaintext', 'co-wechat (empty handler)'),
      'wxgate plaintext / bare node:http (target ≥ 0.28)': ratio('wxgate plaintext', 'bare node:http'),
      'wxgate safe mode / wxgate plaintext (target ≥ 0.9)': ratio('wxgate safe mode', 'wxgate plaintext'),
    };
    // CPU per push that one target adds to another, the median of the differences within a round.
    const added = (withIt: string, without: string) => Math.round(median(perRound.map((round) => of(round, withIt).cpuUsPerReq - of(round, without).cpuUsPerReq)));
    const diagnostic = {
      ownWork: ratio(NO_ENQUEUE, 'co-wechat (empty handler)'),
      enqueueCpuUs: added('wxgate plaintext', NO_ENQUEUE),
      peerAddCpuUs: added('co-wechat + BullMQ add', 'co-wechat (empty handler)'),
    };
    console.log(`diagnostic: wxgate without its enqueue / co-wechat (empty handler) ${diagnostic.ownWork.rps}× by req/s, ${diagnostic.ownWork.cpu}× by CPU; enqueue +${diagnostic.enqueueCpuUs} µs per push (co-wechat's add +${diagnostic.peerAddCpuUs} µs)`);
    return { rounds, durationS, throughput, perRound, constantRate, constantRateRuns, constantRateBare, constantRateBareRuns, constantRatePeer, constantRatePeerRuns, ratios, diagnostic };
  } finally {
    for (const s of started) await stop(s);
    rmSync(logDir, { recursive: true, force: true });
  }
}
