// `npm run bench [-- suite…]`: runs the benchmark suites, writes each one's figures to
// bench/results/<suite>.json and the summary tables to bench/README.md.
// Loopback only, bounded in time; ratios measured side by side in one run are what we quote.
import { spawnSync } from 'node:child_process';
import { writeFileSync, mkdirSync, readFileSync, existsSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { benchE2E, e2eTable } from './e2e.js';
import { benchInstructions } from './instructions.js';
import { benchReceive } from './receive.js';
import { benchSlowHandler, slowHandlerTable } from './slow-handler.js';

const RESULTS = join(import.meta.dirname, 'results');

interface Suite {
  /** In-process suites return their figures; script suites write results/<name>.json themselves. */
  run?(): Promise<unknown>;
  script?: string;
  table(result: never): string;
  /** Run only when named: `npm run bench -- <name>`. */
  optIn?: boolean;
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
    run: () => benchReceive(),
    table: (r: Awaited<ReturnType<typeof benchReceive>>) =>
      [
        `${r.rounds} rounds of ${r.durationS} s per target; each round starts fresh processes and loads them in turn (order rotated each round); each figure is the median of its rounds, each ratio the median of the ratios within a round.`,
        '',
        'CPU µs/req: the target process (user + system); Redis and the load generator (autocannon, in the bench process) share the same two cores.',
        '',
        '| target | req/s | CPU µs/req | Redis CPU µs/req | load generator CPU µs/req | p50 ms | p99 ms | RSS MiB |',
        '|---|---:|---:|---:|---:|---:|---:|---:|',
        ...r.throughput.map((t) => `| ${t.target} | ${t.rps} | ${t.cpuUsPerReq} | ${t.redisCpuUsPerReq} | ${t.loaderCpuUsPerReq} | ${t.p50} | ${t.p99} | ${t.rssMiB} |`),
        '',
        '| ratio (within a round; median of the rounds) | by req/s | by CPU per request |',
        '|---|---:|---:|',
        ...Object.entries(r.ratios).map(([k, v]) => `| ${k} | ${v.rps} | ${v.cpu} |`),
        '',
        `Diagnostic, not a target: where a gap comes from. wxgate's receiver with the enqueue left out (bench/targets/wxgate-no-enqueue.ts: the same app, log line and metrics, a store that answers at once) against co-wechat with an empty handler, the work both do: ${r.diagnostic.ownWork.rps}× by req/s, ${r.diagnostic.ownWork.cpu}× by CPU per request. The durable enqueue (the BullMQ add, and in plaintext the nonce/body SET beside it) adds ${r.diagnostic.enqueueCpuUs} µs of CPU to a push; BullMQ's add adds ${r.diagnostic.peerAddCpuUs} µs to co-wechat's (medians of the differences within a round).`,
        '',
        `Constant rate (open loop, requests evenly spaced, latency from when each was due), wxgate plaintext at 2,000 req/s, median of ${r.constantRateRuns.length} runs of 10 s: p50 ${r.constantRate.p50} ms, p99 ${r.constantRate.p99} ms (the runs' p99: ${r.constantRateRuns.map((c) => c.p99).join(', ')} ms; ${r.constantRate.non2xx} non-2xx, ${r.constantRate.errors} errors).`,
        '',
        `The bare node:http server at the same rate, each run just before wxgate's (a server that only answers: what the machine and the load generator allowed in that window): p50 ${r.constantRateBare.p50} ms, p99 ${r.constantRateBare.p99} ms (the runs' p99: ${r.constantRateBareRuns.map((c) => c.p99).join(', ')} ms).`,
        '',
        `co-wechat + BullMQ add at the same rate, each run between those two (the peer that also waits for Redis before answering): p50 ${r.constantRatePeer.p50} ms, p99 ${r.constantRatePeer.p99} ms (the runs' p99: ${r.constantRatePeerRuns.map((c) => c.p99).join(', ')} ms).`,
        '',
        'The constant-rate loader is our own raw-socket client (bench/lib/constant-rate.ts): 64 keep-alive connections opened before the load, as nginx keeps to the receivers, and a first second at the rate that is not counted.',
      ].join('\n'),
  },
  instructions: {
    optIn: true,
    run: () => benchInstructions(),
    table: (r: Awaited<ReturnType<typeof benchInstructions>>) =>
      [
        `Under callgrind: user-space instructions per push (all threads), counted over ${r.pushes} pushes after ${r.warmup} of warm-up, 8 in flight, node --single-threaded. Not time: no syscalls, no cache misses; runs of the same code gave 676k–721k for wxgate plaintext and 776k–929k for safe mode on the third session's machine, but 699k–1,072k for wxgate plaintext on the fourth session's (part of it is work done per wall-clock second, which valgrind's slowdown spreads over fewer pushes): compare a target with itself over several runs before trusting a change.`,
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

const README = join(import.meta.dirname, 'README.md');

function updateReadme(suite: string, table: string, meta: string): void {
  const text = existsSync(README) ? readFileSync(README, 'utf8') : '# Benchmarks\n';
  const begin = `<!-- ${suite}:begin -->`;
  const end = `<!-- ${suite}:end -->`;
  const block = `${begin}\n${meta}\n\n${table}\n${end}`;
  const re = new RegExp(`${begin}[\\s\\S]*?${end}`);
  writeFileSync(README, re.test(text) ? text.replace(re, block) : `${text.trimEnd()}\n\n## ${suite}\n\n${block}\n`);
}

const wanted = process.argv.slice(2).length > 0 ? process.argv.slice(2) : Object.keys(SUITES).filter((name) => !SUITES[name]!.optIn);
mkdirSync(RESULTS, { recursive: true });
for (const name of wanted) {
  const suite = SUITES[name];
  if (!suite) {
    console.error(`unknown suite ${name}; known: ${Object.keys(SUITES).join(', ')}`);
    process.exit(2);
  }
  console.log(`== ${name}`);
  const at = new Date().toISOString();
  const meta = `Recorded ${at} on ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, Node ${process.version} (results/${name}.json).`;
  let result: unknown;
  if (suite.script) {
    result = runScript(name, suite.script);
  } else {
    result = await suite.run!();
    writeFileSync(join(RESULTS, `${name}.json`), JSON.stringify({ at, node: process.version, cpus: cpus().length, result }, null, 2));
  }
  updateReadme(name, suite.table(result as never), meta);
}
