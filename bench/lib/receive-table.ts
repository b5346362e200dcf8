// The receive suite's record as Markdown for bench/README.md: the targets with met or missed,
// the per-target figures, the constant-rate runs, and the other runs kept in results/. Pure.
import type { ReceiveBench } from '../receive.js';
import type { Spread } from './median.js';
import type { RoundCosts } from './paired-rounds.js';
import { judgeReceiveTargets, P99_TARGET_MS, RATIO_TARGETS, SUBJECTS, type LatencyRuns, type Verdict } from './receive-targets.js';

const figure = (f: Spread | undefined, unit: Verdict['unit']) => (f ? `${f.median}${unit === '×' ? '×' : ' ms'} (${f.min}–${f.max})` : '—');
const count = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;
const verdictWord = (v: Verdict) => (v.met === undefined ? 'not measured' : v.met ? 'met' : 'missed');

/** One row per target: what is wanted, the median with its range, and met or missed. */
export function targetsTable(verdicts: readonly Verdict[]): string {
  return [
    '| target | wanted | measured: median (min–max) | rounds or runs | met? |',
    '|---|---|---:|---:|---|',
    ...verdicts.map((v) => `| ${v.target} | ${v.wanted} | ${figure(v.figure, v.unit)} | ${v.runs} | ${verdictWord(v)} |`),
  ].join('\n');
}

export function receiveTable(r: ReceiveBench): string {
  return [
    `${count(r.rounds, 'paired round')} of ${r.durationS} s per target, then ${count(r.rateRuns, 'run')} of ${r.rateDurationS} s at a constant ${r.rate} req/s, half of wxgate plaintext's ${r.saturationRps} req/s at saturation in this run.`,
    '',
    targetsTable(r.targets),
    '',
    '| target | CPU µs per push, median (min–max) | req/s at saturation | Redis CPU µs per push | load generator CPU µs per push | p99 ms at saturation | RSS MiB | non-2xx, errors |',
    '|---|---:|---:|---:|---:|---:|---:|---:|',
    ...r.throughput.map((t) => `| ${t.target} | ${t.cpuUsPerReq} (${t.cpu.min}–${t.cpu.max}) | ${t.rps} | ${t.redisCpuUsPerReq} | ${t.loaderCpuUsPerReq} | ${t.p99} | ${t.rssMiB} | ${t.non2xx}, ${t.errors} |`),
    '',
    `The durable enqueue (the BullMQ add, and in plaintext the nonce/body record beside it) adds ${r.enqueueCpuUs} µs of CPU to a plaintext push; BullMQ's add adds ${r.peerAddCpuUs} µs to co-wechat's (medians of the differences within a round).`,
    '',
    `| at ${r.rate} req/s | p50 ms | p99 ms, median | the runs' p99 ms | CPU µs per push | non-2xx, errors |`,
    '|---|---:|---:|---:|---:|---:|',
    ...r.atRate.map((a) => `| ${a.target} | ${a.summary.p50} | ${a.summary.p99} | ${a.runs.map((x) => x.p99).join(', ')} | ${a.summary.cpuUsPerReq} | ${a.summary.non2xx}, ${a.summary.errors} |`),
  ].join('\n');
}

/** What an earlier record of the suite is read for: any format it has been written in. */
export interface RecordedReceive {
  readonly perRound: readonly (readonly { readonly target: string; readonly cpuUsPerReq: number }[])[];
  readonly saturationRps?: number;
  readonly rate?: number;
  readonly atRate?: readonly { readonly target: string; readonly runs: readonly { readonly p99: number }[] }[];
  /** Records without `rate` measured the latency at a fixed 2,000 req/s. */
  readonly constantRate?: { readonly p99: number };
}

/** Older records name the no-enqueue target "… (diagnostic)". */
const costsOf = (round: RecordedReceive['perRound'][number]): RoundCosts => Object.fromEntries(round.map((t) => [t.target.replace(/ \(diagnostic\)$/, ''), t.cpuUsPerReq]));

function latencyOf(r: RecordedReceive): LatencyRuns | undefined {
  const plaintext = r.atRate?.find((a) => a.target === SUBJECTS.plaintext);
  return r.rate && r.saturationRps && plaintext ? { rate: r.rate, saturationRps: r.saturationRps, p99Ms: plaintext.runs.map((x) => x.p99) } : undefined;
}

/** The other runs kept in results/, each judged by the present targets from its own rounds. */
export function earlierRunsTable(runs: readonly { readonly file: string; readonly record: RecordedReceive }[]): string {
  const rows = runs.map(({ file, record }) => {
    const verdicts = judgeReceiveTargets(record.perRound.map(costsOf), latencyOf(record));
    const cells = verdicts.map((v) => (v.figure ? `${figure(v.figure, v.unit)} ${verdictWord(v)}` : '—'));
    if (!verdicts.at(-1)!.figure && record.constantRate) cells[cells.length - 1] = `— (${record.constantRate.p99} ms at a fixed 2,000 req/s)`;
    return `| ${file} | ${record.perRound.length} | ${cells.join(' | ')} |`;
  });
  return [
    `| file | rounds | ${RATIO_TARGETS.map((t) => `${t.short} (≥ ${t.atLeast}×)`).join(' | ')} | p99 at half saturation (≤ ${P99_TARGET_MS} ms) |`,
    '|---|---:|---:|---:|---:|---:|',
    ...rows,
  ].join('\n');
}
