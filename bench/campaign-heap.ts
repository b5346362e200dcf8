// V8 heap settings for serve and worker compared side by side on the campaign's unlimited phase
// (issue 15: "the RSS of serve and worker during the run, growth under 100 MB"): each round runs
// one phase per setting, in an order rotated each round, and prints per setting the RSS growth
// (start → peak, /proc/<pid>/status VmRSS every 500 ms), the time to accept the list, the sends
// per second and the CPU seconds of serve and worker, so that a setting that buys memory with
// CPU shows it. Not a recorded suite: run it by hand, under the bench lock:
//   flock /tmp/bench.lock node --import tsx bench/campaign-heap.ts
// WXGATE_BENCH_HEAP_SETTINGS="own=WXGATE_HEAP_GROWING_PERCENT=0;g20=WXGATE_HEAP_GROWING_PERCENT=20;semi=--max-semi-space-size=2"
// (name=setting, a setting either node flags or VAR=value pairs, space-separated), and
// WXGATE_BENCH_HEAP_ROUNDS (default 2); WXGATE_BENCH_CAMPAIGN_RECIPIENTS as in campaign.ts.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMockWeChat } from '../src/dev/mock-wechat/index.js';
import { runPhase, type PhaseResult } from './campaign.js';

const N = Number(process.env.WXGATE_BENCH_CAMPAIGN_RECIPIENTS ?? 100_000);
const ROUNDS = Number(process.env.WXGATE_BENCH_HEAP_ROUNDS ?? 2);
// WXGATE_HEAP_GROWING_PERCENT is applied at start (heap-growth.ts) and overrides a node flag of
// the same name: compare growing factors through the variable.
const SETTINGS = (process.env.WXGATE_BENCH_HEAP_SETTINGS ?? 'own=WXGATE_HEAP_GROWING_PERCENT=0;g10=WXGATE_HEAP_GROWING_PERCENT=10;g20=WXGATE_HEAP_GROWING_PERCENT=20;g30=WXGATE_HEAP_GROWING_PERCENT=30')
  .split(';')
  .map((s) => {
    const [name, setting = ''] = s.split(/=(.*)/s) as [string, string?];
    const words = setting.split(' ').filter(Boolean);
    const env = Object.fromEntries(words.filter((w) => !w.startsWith('--')).map((w) => w.split(/=(.*)/s) as [string, string]));
    return { name, nodeArgs: words.filter((w) => w.startsWith('--')), env };
  });

const mock = createMockWeChat({}, { appsecrets: 'any', maxRecorded: N + 1000 });
const listening = await mock.listen();
const dir = mkdtempSync(join(tmpdir(), 'wxgate-bench-heap-'));
const results: Record<string, PhaseResult[]> = {};
try {
  for (let round = 0; round < ROUNDS; round++) {
    const order = SETTINGS.map((_, i) => SETTINGS[(i + round) % SETTINGS.length]!);
    for (const s of order) {
      const r = await runPhase(mock, listening.url, { name: s.name, nodeArgs: s.nodeArgs, env: s.env }, dir);
      (results[s.name] ??= []).push(r);
      console.log(
        JSON.stringify({ round: round + 1, setting: s.name, acceptMs: r.acceptMs, sendsPerSecond: r.sendsPerSecond, rss: r.rssMb, heap: r.heapMb, cpuS: r.cpuS, final: r.rows.final, reportsMatch: r.reportsMatch }),
      );
    }
  }
} finally {
  await listening.close();
  rmSync(dir, { recursive: true, force: true });
}
const range = (xs: number[]) => (xs.length === 1 ? `${xs[0]}` : `${Math.min(...xs)}–${Math.max(...xs)}`);
console.log(`\n${N} recipients, ${ROUNDS} rounds (range over rounds)\n`);
console.log('| setting | serve RSS growth MB | worker RSS growth MB | accept ms | sends/s | serve CPU s | worker CPU s |');
console.log('|---|---:|---:|---:|---:|---:|---:|');
for (const s of SETTINGS) {
  const rs = results[s.name] ?? [];
  const f = (pick: (r: PhaseResult) => number) => range(rs.map(pick));
  console.log(
    `| ${s.name} ${[...s.nodeArgs, ...Object.entries(s.env).map(([k, v]) => `${k}=${v}`)].join(' ') || '(defaults)'} | ${f((r) => r.rssMb.serve!.growth)} | ${f((r) => r.rssMb.worker!.growth)} | ${f((r) => r.acceptMs)} | ${f((r) => r.sendsPerSecond)} | ${f((r) => r.cpuS.serve!)} | ${f((r) => r.cpuS.workers!)} |`,
  );
}
