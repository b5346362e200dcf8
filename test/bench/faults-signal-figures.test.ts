import { describe, expect, it } from 'vitest';
import { allSuccessTarget, exitTarget, faultTimes, repeatedRuns } from '../../bench/faults/signal-figures.js';

describe('the signal fault cases\' figures (issue 14)', () => {
  it('splits the load into equal parts: 5 kills in 60 s fall every 10 s, none at the start or the end', () => {
    expect(faultTimes(60, 5)).toEqual([10_000, 20_000, 30_000, 40_000, 50_000]);
    expect(faultTimes(15, 1)).toEqual([7500]);
  });

  it('counts the messages whose handler ran again and the runs beyond the first', () => {
    expect(repeatedRuns(['a', 'b', 'a', 'c', 'a', 'b'])).toEqual({ messages: 2, extraRuns: 3 });
    expect(repeatedRuns([])).toEqual({ messages: 0, extraRuns: 0 });
  });

  it('meets the exit target at the deadline and not past it or without an exit', () => {
    expect(exitTarget(10_000, 10_000).met).toBe(true);
    expect(exitTarget(10_001, 10_000).met).toBe(false);
    expect(exitTarget(undefined, 10_000)).toMatchObject({ met: false, detail: expect.stringContaining('had not exited') });
  });

  it('meets the success target only with no other answers', () => {
    expect(allSuccessTarget({}, 'during the takeover').met).toBe(true);
    expect(allSuccessTarget({ 502: 2, reset: 1 }, 'x')).toMatchObject({ met: false, detail: expect.stringContaining('3 deliveries') });
  });
});
