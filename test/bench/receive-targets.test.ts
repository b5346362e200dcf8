import { describe, expect, it } from 'vitest';
import { halfSaturationRate, judgeReceiveTargets, smokeReasons, SUBJECTS } from '../../bench/lib/receive-targets.js';

const { peerEmpty, peerAdd, plaintext, safe, noEnqueue } = SUBJECTS;
/** Five rounds of CPU µs per push; plaintext 1.25× the peer with the add, no enqueue 1.05× the empty peer, safe 0.95× plaintext. */
const rounds = [0.9, 1, 1.1, 1, 1.2].map((slow) => ({
  [peerEmpty]: 315 * slow,
  [peerAdd]: 500 * slow,
  [plaintext]: 400 * slow,
  [safe]: (400 / 0.95) * slow,
  [noEnqueue]: 300 * slow,
}));

describe('judgeReceiveTargets', () => {
  it('judges each target by CPU per push within rounds and the p99 at the constant rate, met or missed', () => {
    const verdicts = judgeReceiveTargets(rounds, { saturationRps: 2400, rate: 1200, p99Ms: [9, 12.5, 8, 30, 11] });
    expect(verdicts.map((v) => [v.wanted, v.figure?.median, v.met])).toEqual([
      ['≥ 1.2×', 1.25, true],
      ['≥ 1.1×', 1.05, false],
      ['≥ 0.9×', 0.95, true],
      ['≤ 10 ms', 11, false],
    ]);
    expect(verdicts.every((v) => v.runs === 5)).toBe(true);
    expect(verdicts[3]!.figure).toEqual({ median: 11, min: 8, max: 30 });
    expect(verdicts[3]!.target).toContain('1200 req/s (half of the 2400 req/s');
  });

  it('says a target is met at exactly its threshold', () => {
    const [, , , p99] = judgeReceiveTargets(rounds, { saturationRps: 2000, rate: 1000, p99Ms: [10] });
    expect(p99!.met).toBe(true);
  });

  it('leaves a target the run did not measure without a figure or a verdict', () => {
    const without = rounds.map(({ [noEnqueue]: _, ...rest }) => rest);
    const verdicts = judgeReceiveTargets(without);
    for (const v of [verdicts[1]!, verdicts[3]!]) expect([v.figure, v.met]).toEqual([undefined, undefined]);
    expect(verdicts[3]!.runs).toBe(0);
    expect(verdicts[0]!.met).toBe(true);
  });
});

describe('halfSaturationRate', () => {
  it("is half of the receiver's own saturation rate, in whole requests per second", () => {
    expect(halfSaturationRate(2321)).toBe(1161);
    expect(() => halfSaturationRate(0)).toThrow(RangeError);
  });
});

describe('smokeReasons', () => {
  it('names every setting below what a recorded run measures', () => {
    expect(smokeReasons({ rounds: 5, durationS: 4, rateRuns: 3, rateDurationS: 10 })).toEqual([]);
    expect(smokeReasons({ rounds: 2, durationS: 1, rateRuns: 3, rateDurationS: 10 })).toEqual(['rounds 2 < 5', 'durationS 1 < 4']);
  });
});
