import { describe, expect, it } from 'vitest';
import { median, withSpread } from '../../bench/lib/median.js';

describe('median', () => {
  it('takes the middle of an odd count and the mean of the two middles of an even one, whatever the order', () => {
    expect(median([5, 1, 3])).toBe(3);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([7])).toBe(7);
  });

  it('refuses no measurements rather than inventing a figure', () => {
    expect(() => median([])).toThrow(RangeError);
  });
});

describe('withSpread', () => {
  it('gives the median with the range, rounded', () => {
    expect(withSpread([1.234, 1.111, 1.5])).toEqual({ median: 1.23, min: 1.11, max: 1.5 });
    expect(withSpread([312.4, 290.6, 350], 0)).toEqual({ median: 312, min: 291, max: 350 });
  });
});
