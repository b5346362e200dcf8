// The receive targets of bench/receive.ts under callgrind: user-space instructions per push,
// counted over a fixed number of pushes after a warm-up. It does not count other tenants' CPU
// time the way req/s and CPU time on these two shared cores do, but it is not steady either
// (below). It counts neither syscalls nor cache misses: the wall-clock suite stays the figure
// the targets are judged by; this one, repeated, says which way a change went.
// Node runs with --single-threaded. With V8 compiling on background threads, when optimised code
// arrives depends on how valgrind schedules the threads: in one-off runs (not recorded) the same
// code measured 641k–849k per push after various warm-ups; single-threaded, 676k–721k, but safe
// mode gave 776k and 929k in two suite runs (timers still fire per second of a process slowed
// ~50×, and which target shares the machine differs), and on another machine the same code gave
// 699k–1,072k in one-off pair runs (2–9 M instructions per wall-clock second ran while idle):
// repeat before trusting a change.
// Opt-in: `npm run bench -- instructions`.
import { randomUUID } from 'node:crypto';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { Agent } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BuiltPush } from '../src/dev/pushes.js';
import { REDIS_URL } from './lib/gateway-env.js';
import { deletePrefix } from './lib/redis-cleanup.js';
import { sendPush } from './lib/send-push.js';
import { RATIO_TARGETS } from './lib/receive-targets.js';
import { pool, TARGETS, type TargetSpec } from './receive.js';

export interface InstructionsResult {
  readonly target: string;
  readonly pushes: number;
  /** Instructions per push, in thousands, across all of the target's threads. */
  readonly kInstructionsPerPush: number;
}

export interface InstructionsBench {
  readonly pushes: number;
  readonly warmup: number;
  readonly targets: InstructionsResult[];
  /** The receive suite's CPU ratios, from instructions per push instead (the inverse: fewer is faster). */
  readonly ratios: Record<string, number>;
}

/** `concurrency` keep-alive requests in flight until every push is answered; any answer but 200 throws. */
async function load(url: string, pushes: readonly BuiltPush[], concurrency = 8): Promise<void> {
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const target = new URL(url);
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < pushes.length) {
        const status = await sendPush(agent, target, pushes[next++]!);
        if (status !== 200) throw new Error(`push answered ${status || 'with a failed request'}`);
      }
    }),
  );
  agent.destroy();
}

async function measure(spec: TargetSpec, { pushes, warmup }: { pushes: number; warmup: number }): Promise<InstructionsResult> {
  const dir = mkdtempSync(join(tmpdir(), 'wxgate-callgrind-'));
  const spoolDir = mkdtempSync(join(tmpdir(), 'wxgate-bench-spool-'));
  const prefix = `wxbench-${randomUUID().slice(0, 8)}`;
  const control = (...args: string[]) => execFileSync('callgrind_control', [`--vgdb-prefix=${dir}/vgdb`, ...args, String(child.pid)], { stdio: 'ignore' });
  const child = spawn(
    'valgrind',
    ['--tool=callgrind', '--smc-check=all-non-file', '--vgdb=yes', `--vgdb-prefix=${dir}/vgdb`, `--callgrind-out-file=${dir}/callgrind.out`, '--dump-instr=no',
      process.execPath, '--single-threaded', '--import', 'tsx', join(import.meta.dirname, 'targets', spec.script)],
    { env: { ...process.env, ...spec.env(prefix, spoolDir) }, stdio: ['ignore', 'ignore', 'ignore', 'ipc'] },
  );
  try {
    const [message] = (await Promise.race([once(child, 'message'), once(child, 'exit').then(() => Promise.reject(new Error(`${spec.script} under valgrind exited before listening`)))])) as [{ port: number }];
    const url = `http://127.0.0.1:${message.port}`;
    await load(url, pool(warmup, spec.mode, spec.path));
    control('--zero');
    await load(url, pool(pushes, spec.mode, spec.path));
    control('--dump=measured');
    const dump = readdirSync(dir).find((f) => f.startsWith('callgrind.out.') && f.endsWith('.1'));
    const total = Number(/^(?:summary|totals): (\d+)/m.exec(dump ? readFileSync(join(dir, dump), 'utf8') : '')?.[1] ?? NaN);
    if (!Number.isFinite(total)) throw new Error(`no callgrind dump for ${spec.name}`);
    return { target: spec.name, pushes, kInstructionsPerPush: Math.round(total / pushes / 1000) };
  } finally {
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    await exited;
    await deletePrefix(REDIS_URL, prefix);
    rmSync(dir, { recursive: true, force: true });
    rmSync(spoolDir, { recursive: true, force: true });
  }
}

/** Every receive target, two at a time (valgrind runs a process on one core). */
export async function benchInstructions({ pushes = 4000, warmup = 3000 }: { pushes?: number; warmup?: number } = {}): Promise<InstructionsBench> {
  if (spawnSync('valgrind', ['--version']).error) throw new Error('the instructions suite needs valgrind and callgrind_control: apt-get install valgrind');
  const targets: InstructionsResult[] = [];
  for (let i = 0; i < TARGETS.length; i += 2) {
    const pair = await Promise.all(TARGETS.slice(i, i + 2).map((spec) => measure(spec, { pushes, warmup })));
    for (const r of pair) console.log(`${r.target.padEnd(28)} ${r.kInstructionsPerPush}k instructions per push`);
    targets.push(...pair);
  }
  const of = (name: string) => targets.find((t) => t.target === name)!.kInstructionsPerPush;
  const ratio = (a: string, b: string) => Math.round((of(b) / of(a)) * 100) / 100;
  return {
    pushes,
    warmup,
    targets,
    ratios: Object.fromEntries(RATIO_TARGETS.map((t) => [`${t.label} (target ≥ ${t.atLeast})`, ratio(t.subject, t.against)])),
  };
}
