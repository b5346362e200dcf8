// The receive suite's targets (issue 16 §5) and how a run is judged against them. Pure: the
// suite (bench/receive.ts) measures, this decides met or missed, bench/lib/receive-table.ts
// writes it down. The primary figure is the CPU each target spends per push answered (its
// utime + stime from /proc): req/s moved by ±10 % between identical runs on shared 2-core
// machines, where the load generator takes its CPU from the same cores as the server.
import { type Spread, withSpread } from './median.js';
import { pairedRatio, type RoundCosts } from './paired-rounds.js';

/** The targets loaded in every round, by the names the records carry. */
export const SUBJECTS = {
  bare: 'bare node:http',
  peerEmpty: 'co-wechat (empty handler)',
  peerAdd: 'co-wechat + BullMQ add',
  plaintext: 'wxgate plaintext',
  safe: 'wxgate safe mode',
  noEnqueue: 'wxgate plaintext, no enqueue',
} as const;

export interface RatioTarget {
  readonly label: string;
  /** The label in a table's column head. */
  readonly short: string;
  readonly subject: string;
  readonly against: string;
  readonly atLeast: number;
}

export const RATIO_TARGETS: readonly RatioTarget[] = [
  { label: 'wxgate plaintext vs co-wechat doing the same BullMQ add', short: 'plaintext vs co-wechat + add', subject: SUBJECTS.plaintext, against: SUBJECTS.peerAdd, atLeast: 1.2 },
  { label: "wxgate's receiver without the enqueue vs co-wechat with an empty handler", short: 'no enqueue vs co-wechat empty', subject: SUBJECTS.noEnqueue, against: SUBJECTS.peerEmpty, atLeast: 1.1 },
  { label: 'wxgate safe mode vs wxgate plaintext', short: 'safe mode vs plaintext', subject: SUBJECTS.safe, against: SUBJECTS.plaintext, atLeast: 0.9 },
];

export const P99_TARGET_MS = 10;

/** The constant rate the latency is measured at: half of what the receiver answered at saturation in the same run. */
export function halfSaturationRate(saturationRps: number): number {
  if (!(saturationRps > 0)) throw new RangeError(`no saturation rate to halve: ${saturationRps}`);
  return Math.max(1, Math.round(saturationRps / 2));
}

/** The plaintext receiver's p99 at a constant rate, one per run at that rate. */
export interface LatencyRuns {
  readonly saturationRps: number;
  readonly rate: number;
  readonly p99Ms: readonly number[];
}

export interface Verdict {
  readonly target: string;
  /** `≥ 1.2×`, `≤ 10 ms`. */
  readonly wanted: string;
  readonly unit: '×' | 'ms';
  /** Median of the rounds (or runs) and their range; undefined when the run did not measure it. */
  readonly figure?: Spread;
  readonly runs: number;
  readonly met?: boolean;
}

export function judgeRatio(rounds: readonly RoundCosts[], { label, subject, against, atLeast }: RatioTarget): Verdict {
  const base = { target: `${label}, by CPU per push`, wanted: `≥ ${atLeast}×`, unit: '×' as const, runs: rounds.length };
  const measured = rounds.length > 0 && rounds.every((r) => r[subject] !== undefined && r[against] !== undefined);
  if (!measured) return base;
  // Judged on the figure as shown (two decimals): a table never says 1.1× beside "missed" for 1.1×.
  const { median, min, max } = pairedRatio(rounds, subject, against);
  return { ...base, figure: { median, min, max }, met: median >= atLeast };
}

export function judgeLatency(latency: LatencyRuns | undefined): Verdict {
  const at = latency ? ` at ${latency.rate} req/s (half of the ${latency.saturationRps} req/s it answered at saturation)` : ' at half its saturation rate';
  const base = { target: `wxgate plaintext p99${at}`, wanted: `≤ ${P99_TARGET_MS} ms`, unit: 'ms' as const, runs: latency?.p99Ms.length ?? 0 };
  if (!latency || latency.p99Ms.length === 0) return base;
  const figure = withSpread(latency.p99Ms, 1);
  return { ...base, figure, met: figure.median <= P99_TARGET_MS };
}

/** Every receive target, judged from one run: the rounds' CPU per push and the constant-rate runs. */
export function judgeReceiveTargets(rounds: readonly RoundCosts[], latency?: LatencyRuns): Verdict[] {
  return [...RATIO_TARGETS.map((t) => judgeRatio(rounds, t)), judgeLatency(latency)];
}

/** The least a run must measure to be recorded; anything shorter is a smoke run, printed only. */
export const RECORDED_MINIMUM = { rounds: 5, durationS: 4, rateRuns: 3, rateDurationS: 10 } as const;

/** Why a run with these settings is a smoke run (empty: it may be recorded). */
export function smokeReasons(settings: Readonly<Record<keyof typeof RECORDED_MINIMUM, number>>): string[] {
  return (Object.keys(RECORDED_MINIMUM) as (keyof typeof RECORDED_MINIMUM)[]).filter((k) => !(settings[k] >= RECORDED_MINIMUM[k])).map((k) => `${k} ${settings[k]} < ${RECORDED_MINIMUM[k]}`);
}
