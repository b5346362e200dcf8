import { describe, expect, it } from 'vitest';
import { pairedDifference, pairedRatio } from '../../bench/lib/paired-rounds.js';

// CPU µs per push in three rounds; the machine is twice as slow in the second.
const rounds = [
  { ours: 100, theirs: 120 },
  { ours: 200, theirs: 300 },
  { ours: 110, theirs: 121 },
];

describe('pairedRatio', () => {
  it("divides the other target's CPU per push by ours within each round, then takes the median and range", () => {
    const r = pairedRatio(rounds, 'ours', 'theirs');
    expect(r.perRound).toEqual([1.2, 1.5, 1.1]);
    expect(r).toMatchObject({ median: 1.2, min: 1.1, max: 1.5 });
  });

  it('is not the ratio of the medians: a slow round counts as one round', () => {
    // medians: ours 110, theirs 121 → 1.1; within rounds → 1.2
    expect(pairedRatio(rounds, 'ours', 'theirs').median).toBe(1.2);
  });

  it('refuses a round that lacks a target or measured no CPU', () => {
    expect(() => pairedRatio([...rounds, { ours: 100 }], 'ours', 'theirs')).toThrow(/round 4 .* theirs/);
    expect(() => pairedRatio([{ ours: 0, theirs: 100 }], 'ours', 'theirs')).toThrow(RangeError);
  });
});

describe('pairedDifference', () => {
  it('is the median of the differences within a round', () => {
    expect(pairedDifference(rounds, 'theirs', 'ours')).toBe(20);
  });
});
