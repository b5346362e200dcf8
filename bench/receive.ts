// The receive path, side by side in one run (issue 2): a bare node:http server (the ceiling),
// co-wechat with an empty handler, co-wechat doing the same BullMQ add, and wxgate in plaintext
// and safe mode; then wxgate at a constant 2,000 req/s for latency.
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildPush, textMessage, type BuiltPush, type PushMode } from '../src/dev/pushes.js';
import { deletePrefix } from './lib/redis-cleanup.js';
import { runConstantRate } from './lib/constant-rate.js';
import { runLoad, type LoadResult } from './lib/load.js';
import { startTarget } from './lib/target.js';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const ACCOUNT = { appid: 'wxbench000000001', token: 'benchtoken', encodingAESKey: 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG' };

export interface TargetResult extends LoadResult {
  readonly target: string;
  readonly rssMiB: number;
  /** The target's own CPU time per answered request (user + system): steadier than req/s on a shared machine. */
  readonly cpuUsPerReq: number;
}

let seq = 0;
function pool(size: number, mode: PushMode, basePath: string): BuiltPush[] {
  const run = Date.now();
  return Array.from({ length: size }, () => {
    seq += 1;
    const msgId = `${run}${String(seq).padStart(8, '0')}`;
    return buildPush(ACCOUNT, textMessage({ openid: `oBench${seq % 1000}`, content: `bench ${seq}`, msgId }), { mode, basePath });
  });
}

interface TargetSpec {
  name: string;
  script: string;
  mode: PushMode;
  path: string;
  env: (prefix: string, spoolDir: string) => Record<string, string>;
}

const TARGETS: TargetSpec[] = [
  { name: 'bare node:http', script: 'bare.ts', mode: 'plain', path: '/wechat', env: () => ({}) },
  { name: 'co-wechat (empty handler)', script: 'co-wechat.ts', mode: 'plain', path: '/wechat', env: (p) => ({ BENCH_APPID: ACCOUNT.appid, BENCH_TOKEN: ACCOUNT.token, BENCH_PREFIX: p }) },
  { name: 'co-wechat + BullMQ add', script: 'co-wechat.ts', mode: 'plain', path: '/wechat', env: (p) => ({ BENCH_APPID: ACCOUNT.appid, BENCH_TOKEN: ACCOUNT.token, BENCH_PREFIX: p, BENCH_ENQUEUE: '1' }) },
  ...(['plain', 'aes'] as const).map((mode) => ({
    name: `wxgate ${mode === 'plain' ? 'plaintext' : 'safe mode'}`,
    script: 'wxgate.ts',
    mode,
    path: '/wechat',
    env: (prefix: string, spoolDir: string) => ({
      WECHAT_APPID: ACCOUNT.appid,
      WECHAT_TOKEN: ACCOUNT.token,
      WECHAT_ENCODING_AES_KEY: ACCOUNT.encodingAESKey,
      WXGATE_PREFIX: prefix,
      WXGATE_SPOOL_DIR: spoolDir,
      REDIS_URL,
      LOG_LEVEL: 'info',
    }),
  })),
];

async function measure(spec: TargetSpec, logDir: string, load: { durationS: number; rate?: number; poolSize: number }): Promise<TargetResult> {
  const prefix = `wxbench-${randomUUID().slice(0, 8)}`;
  const spoolDir = mkdtempSync(join(tmpdir(), 'wxgate-bench-spool-'));
  const target = await startTarget(spec.script, spec.env(prefix, spoolDir), join(logDir, `${spec.script}-${spec.mode}.log`));
  try {
    await runLoad(target.url, pool(2000, spec.mode, spec.path), { durationS: 2 }); // warm-up (JIT, connections)
    const requests = pool(load.poolSize, spec.mode, spec.path);
    const cpuBefore = target.cpuMs();
    const result = load.rate ? await runConstantRate(target.url, requests, { rate: load.rate, durationS: load.durationS }) : await runLoad(target.url, requests, { durationS: load.durationS });
    const cpuUsPerReq = Math.round(((target.cpuMs() - cpuBefore) * 1000) / Math.max(1, result.requests));
    return { target: spec.name, ...result, rssMiB: target.rssMiB(), cpuUsPerReq };
  } finally {
    await target.stop();
    await deletePrefix(REDIS_URL, prefix);
    rmSync(spoolDir, { recursive: true, force: true });
  }
}

export interface ReceiveBench {
  readonly throughput: TargetResult[];
  readonly constantRate: TargetResult;
  readonly ratios: Record<string, { rps: number; cpu: number }>;
}

export async function benchReceive({ durationS = 10 }: { durationS?: number } = {}): Promise<ReceiveBench> {
  const logDir = join(import.meta.dirname, 'results', 'tmp');
  mkdirSync(logDir, { recursive: true });
  const throughput: TargetResult[] = [];
  for (const spec of TARGETS) {
    const r = await measure(spec, logDir, { durationS, poolSize: 150_000 });
    throughput.push(r);
    console.log(`${r.target.padEnd(28)} ${String(r.rps).padStart(7)} req/s  ${String(r.cpuUsPerReq).padStart(5)} µs CPU/req  p50 ${r.p50} ms  p99 ${r.p99} ms  rss ${r.rssMiB} MiB  non-2xx ${r.non2xx}  errors ${r.errors}`);
  }
  const constantRate = await measure(TARGETS[3]!, logDir, { durationS, rate: 2000, poolSize: 2000 * durationS + 1000 });
  console.log(`wxgate plaintext @2000 req/s  p50 ${constantRate.p50} ms  p99 ${constantRate.p99} ms`);
  const of = (name: string) => throughput.find((t) => t.target === name)!;
  const round = (x: number) => Math.round(x * 100) / 100;
  // Throughput ratio (req/s) and the same ratio from CPU per request (inverse), side by side.
  const ratio = (a: string, b: string) => ({ rps: round(of(a).rps / of(b).rps), cpu: round(of(b).cpuUsPerReq / of(a).cpuUsPerReq) });
  const ratios = {
    'wxgate plaintext / co-wechat + BullMQ add (target ≥ 1.2)': ratio('wxgate plaintext', 'co-wechat + BullMQ add'),
    'wxgate plaintext / co-wechat (empty handler) (target ≥ 0.85)': ratio('wxgate plaintext', 'co-wechat (empty handler)'),
    'wxgate plaintext / bare node:http (target ≥ 0.28)': ratio('wxgate plaintext', 'bare node:http'),
    'wxgate safe mode / wxgate plaintext (target ≥ 0.9)': ratio('wxgate safe mode', 'wxgate plaintext'),
  };
  rmSync(logDir, { recursive: true, force: true });
  return { throughput, constantRate, ratios };
}
