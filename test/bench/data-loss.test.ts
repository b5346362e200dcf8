import { describe, expect, it } from 'vitest';
import { firstLossLine } from '../../bench/faults/data-loss.js';

describe('firstLossLine', () => {
  it('takes the earliest redis_data_lost line at or after the restart, ignoring other lines and earlier ones', () => {
    const lines = [
      { code: 'redis_data_lost', time: 900, layer: 'redis' },
      { code: 'other', time: 1100 },
      { code: 'redis_data_lost', time: 1500, layer: 'worker' },
      { code: 'redis_data_lost', time: 1200, layer: 'redis' },
    ];
    expect(firstLossLine(lines, 1000)).toEqual({ delayMs: 200, layer: 'redis' });
    expect(firstLossLine(lines, 2000)).toBeUndefined();
  });
});
