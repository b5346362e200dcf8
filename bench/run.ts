// `npm run bench [-- suite…] [--rounds N --duration S --rate-runs N --rate-duration S]`: runs the
// benchmark suites, writes each one's figures to bench/results/<suite>.json (the record it
// replaces moves to results/<suite>-<date>-<time>-<cpu>.json) and its block in bench/README.md.
// The options shorten the receive suite for smoke runs; a run below its recorded minimum is
// printed and not recorded. Loopback only, bounded in time; ratios measured side by side in one
// run are what we quote.
import { spawnSync } from 'node:child_process';
import { writeFileSync, mkdirSync, readFileSync, existsSync, readdirSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { benchCampaign, campaignSmoke, campaignTable } from './campaign.js';
import { benchCluster, clusterSmoke, clusterTable } from './cluster.js';
import { benchE2E, e2eTable } from './e2e.js';
import { faultsReadme } from './faults/table.js';
import { benchPassive, passiveTable } from './passive.js';
import { benchInstructions } from './instructions.js';
import { archivePrevious } from './lib/archive-previous.js';
import { earlierRunsTable, receiveTable, type RecordedReceive } from './lib/receive-table.js';
import { smokeReasons } from './lib/receive-targets.js';
import { benchReceive, type ReceiveBench, type ReceiveOptions } from './receive.js';
import { benchSlowHandler, slowHandlerTable } from './slow-handler.js';

const RESULTS = join(import.meta.dirname, 'results');
const README = join(import.meta.dirname, 'README.md');

interface Suite {
  /** In-process suites return their figures; script suites write results/<name>.json themselves. */
  run?(options: ReceiveOptions): Promise<unknown>;
  script?: string;
  table(result: never): string;
  /** Why this result is a smoke run, not to be recorded (empty or absent: record it). */
  smoke?(result: never): string[];
  /** Run only when named: `npm run bench -- <name>`. */
  optIn?: boolean;
}

/** The suite's other records kept in results/ (named by archiveName), oldest first. */
function earlierRecords(suite: string): { file: string; record: RecordedReceive }[] {
  const named = new RegExp(`^${suite}-\\d{4}-\\d{2}-\\d{2}-\\d{4}-.+\\.json$`);
  return readdirSync(RESULTS)
    .filter((f) => named.test(f))
    .sort()
    .map((file) => ({ file, record: (JSON.parse(readFileSync(join(RESULTS, file), 'utf8')) as { result: RecordedReceive }).result }));
}

/** A standalone benchmark script (runnable on its own too) whose figures land in results/<name>.json. */
function runScript(name: string, script: string): unknown {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(import.meta.dirname, script)], { stdio: 'inherit' });
  if (r.status !== 0) throw new Error(`${script} exited with ${r.status}`);
  return JSON.parse(readFileSync(join(RESULTS, `${name}.json`), 'utf8'));
}

interface TokenStormRecord {
  settings: { durationS: number; concurrency: number; ttlS: number; processes: number; api: string };
  sends: { ok: number; perSecond: number; staleAfterRetry: number };
  mock: { firstAttemptStale: number };
  tokens: { fetches: number; expiries: number; fetchesPerExpiry: number };
}

interface TraceFigure {
  seconds: number;
  secondsRange: number[];
  maxRssMb: number;
  maxRssRange: number[];
  vsGrep?: { median: number; range: number[] };
}

interface TraceRecord {
  fileMb: number;
  messages: number;
  openids: number;
  spanHours: number;
  rounds: number;
  grep: TraceFigure;
  trace: TraceFigure;
  alert: TraceFigure;
}

const SUITES: Record<string, Suite> = {
  receive: {
    run: (options) => benchReceive(options),
    smoke: (r: ReceiveBench) => smokeReasons(r),
    table: (r: ReceiveBench) => [receiveTable(r), '', 'Other runs kept in results/, each judged by these targets from its own rounds (CPU figures: median and range of the rounds):', '', earlierRunsTable(earlierRecords('receive'))].join('\n'),
  },
  instructions: {
    optIn: true,
    run: () => benchInstructions(),
    table: (r: Awaited<ReturnType<typeof benchInstructions>>) =>
      [
        `Under callgrind: user-space instructions per push (all threads), counted over ${r.pushes} pushes after ${r.warmup} of warm-up, 8 in flight, node --single-threaded. Not time: no syscalls, no cache misses; runs of the same code gave 676k–721k for wxgate plaintext and 776k–929k for safe mode on a 2-core AMD EPYC, but 699k–1,072k for wxgate plaintext on a 2-core Intel Xeon (2026-11-22; part of it is work done per wall-clock second, which valgrind's slowdown spreads over fewer pushes): compare a target with itself over several runs before trusting a change.`,
        '',
        '| target | k instructions per push |',
        '|---|---:|',
        ...r.targets.map((t) => `| ${t.target} | ${t.kInstructionsPerPush} |`),
        '',
        '| ratio (the inverse of instructions per push) | value |',
        '|---|---:|',
        ...Object.entries(r.ratios).map(([k, v]) => `| ${k} | ${v} |`),
      ].join('\n'),
  },
  e2e: { run: () => benchE2E(), table: e2eTable },
  'slow-handler': { run: () => benchSlowHandler(), table: slowHandlerTable },
  campaign: { optIn: true, run: () => benchCampaign(), smoke: campaignSmoke, table: campaignTable },
  passive: { optIn: true, run: () => benchPassive(), table: passiveTable },
  'token-storm': {
    script: 'token-storm.ts',
    table: (r: TokenStormRecord) =>
      [
        `${r.settings.processes} processes × ${r.settings.concurrency} concurrent senders for ${r.settings.durationS} s; the mock expires tokens every ${r.settings.ttlS} s (${r.settings.api} API).`,
        '',
        '| figure | value | target |',
        '|---|---:|---:|',
        `| token fetches per expiry | ${r.tokens.fetchesPerExpiry} (${r.tokens.fetches} fetches, ${r.tokens.expiries} expiries) | exactly 1 |`,
        `| sends failed for a stale token after the one retry | ${r.sends.staleAfterRetry} | 0 |`,
        `| sends that met a stale token on the first try (then retried) | ${r.mock.firstAttemptStale} | — |`,
        `| sends delivered | ${r.sends.ok} (${r.sends.perSecond}/s) | — |`,
      ].join('\n'),
  },
  faults: { optIn: true, script: 'faults.ts', table: faultsReadme },
  cluster: { optIn: true, run: (o) => benchCluster({ rounds: o.rounds, durationS: o.durationS }), smoke: clusterSmoke, table: clusterTable },
  trace: {
    script: 'trace.ts',
    table: (r: TraceRecord) => {
      const row = (name: string, f: TraceFigure) =>
        `| ${name} | ${f.seconds} (${f.secondsRange.join('–')}) | ${f.vsGrep ? `${f.vsGrep.median}× (${f.vsGrep.range.join('–')})` : '1×'} | ${f.maxRssMb} (${f.maxRssRange.join('–')}) |`;
      return [
        `${r.fileMb} MB of nginx access log and wxgate log: ${r.messages} messages (access, receive, worker and send lines) from ${r.openids} openids over ${r.spanHours} h, with a 20 s outage of the receiver; ${r.rounds} paired rounds (grep, trace, alert in turn), medians with the range. Each command is the real one (bin/wxgate.js), timed by /usr/bin/time; RSS is the whole process.`,
        '',
        '| command | seconds | × grep (per round) | peak RSS MB |',
        '|---|---:|---:|---:|',
        row('grep -h <openid> (the same files)', r.grep),
        row('wxgate trace --openid <openid>', r.trace),
        row('wxgate alert (回应失败 at the outage)', r.alert),
      ].join('\n');
    },
  },
};

function keepPrevious(suite: string): void {
  const kept = archivePrevious(RESULTS, README, suite);
  if (kept) console.log(`the previous results/${suite}.json is kept as results/${kept}`);
}

function updateReadme(suite: string, table: string, meta: string): void {
  const text = existsSync(README) ? readFileSync(README, 'utf8') : '# Benchmarks\n';
  const begin = `<!-- ${suite}:begin -->`;
  const end = `<!-- ${suite}:end -->`;
  const block = `${begin}\n${meta}\n\n${table}\n${end}`;
  const re = new RegExp(`${begin}[\\s\\S]*?${end}`);
  writeFileSync(README, re.test(text) ? text.replace(re, block) : `${text.trimEnd()}\n\n## ${suite}\n\n${block}\n`);
}

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { rounds: { type: 'string' }, duration: { type: 'string' }, 'rate-runs': { type: 'string' }, 'rate-duration': { type: 'string' } },
});
const number = (name: keyof typeof values) => {
  const v = values[name];
  if (v === undefined) return undefined;
  if (!(Number(v) > 0)) throw new Error(`--${name} wants a positive number, not ${v}`);
  return Number(v);
};
const options: ReceiveOptions = { rounds: number('rounds'), durationS: number('duration'), rateRuns: number('rate-runs'), rateDurationS: number('rate-duration') };
const wanted = positionals.length > 0 ? positionals : Object.keys(SUITES).filter((name) => !SUITES[name]!.optIn);
mkdirSync(RESULTS, { recursive: true });
for (const name of wanted) {
  const suite = SUITES[name];
  if (!suite) {
    console.error(`unknown suite ${name}; known: ${Object.keys(SUITES).join(', ')}`);
    process.exit(2);
  }
  console.log(`== ${name}`);
  const at = new Date().toISOString();
  const cpu = cpus()[0]?.model ?? 'unknown cpu';
  const meta = `Recorded ${at} on ${cpus().length} × ${cpu}, Node ${process.version} (results/${name}.json).`;
  let result: unknown;
  if (suite.script) {
    keepPrevious(name);
    result = runScript(name, suite.script);
  } else {
    result = await suite.run!(options);
    const smoke = suite.smoke?.(result as never) ?? [];
    if (smoke.length > 0) {
      console.log(`\n${suite.table(result as never)}\n\nA smoke run (${smoke.join(', ')}): printed, not recorded.`);
      continue;
    }
    keepPrevious(name);
    writeFileSync(join(RESULTS, `${name}.json`), JSON.stringify({ at, cpu, node: process.version, cpus: cpus().length, result }, null, 2));
  }
  updateReadme(name, suite.table(result as never), meta);
}
