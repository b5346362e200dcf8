// Figures taken between two benchmark targets within each round (loads seconds apart, so the
// machine's drift over minutes cancels out), then the median of the rounds with their spread.
import { median, type Spread, withSpread } from './median.js';

/** One round: each target's CPU time per push answered (µs), by target name. */
export type RoundCosts = Readonly<Record<string, number>>;

export interface PairedRatio extends Spread {
  readonly perRound: readonly number[];
}

function costs(round: RoundCosts, i: number, ...names: string[]): number[] {
  return names.map((name) => {
    const cost = round[name];
    if (!(cost! > 0)) throw new RangeError(`round ${i + 1} has no CPU per push for ${name}`);
    return cost!;
  });
}

/**
 * How many times cheaper a push is on `subject` than on `against`: against's CPU per push
 * divided by subject's, in each round (so "≥ 1.2×" means subject does the push in 1/1.2 of
 * the CPU).
 */
export function pairedRatio(rounds: readonly RoundCosts[], subject: string, against: string): PairedRatio {
  const perRound = rounds.map((round, i) => {
    const [ours, theirs] = costs(round, i, subject, against);
    return theirs! / ours!;
  });
  return { ...withSpread(perRound), perRound: perRound.map((r) => Math.round(r * 1000) / 1000) };
}

/** The CPU per push that `withIt` spends beyond `without` (µs): the median of the differences within a round. */
export function pairedDifference(rounds: readonly RoundCosts[], withIt: string, without: string): number {
  return Math.round(median(rounds.map((round, i) => {
    const [a, b] = costs(round, i, withIt, without);
    return a! - b!;
  })));
}
