import { describe, expect, it } from 'vitest';
import { faultsTable } from '../../bench/faults/table.js';
import { lostKeys, tally } from '../../bench/faults/tally.js';

describe('the fault suite\'s counting (issue 14)', () => {
  const record = {
    deliveries: [
      { key: 'a', answer: 200, success: true },
      { key: 'a', answer: 200, success: true }, // WeChat's retry of a
      { key: 'b', answer: 200, success: true },
      { key: 'c', answer: 'timeout' as const, success: false },
      { key: 'd', answer: 403, success: false },
    ],
    handlerRuns: ['a', 'b'],
    replies: ['a', 'a', 'c'],
  };

  it('counts a retried message once, b (acknowledged, no reply) as lost and a\'s second reply as duplicated', () => {
    expect(tally(record)).toEqual({ pushes: 4, deliveries: 5, success: 3, otherAnswers: { timeout: 1, 403: 1 }, handlerRuns: 2, replies: 2, lost: 1, duplicated: 1 });
    expect(lostKeys(record)).toEqual(['b']);
  });

  it('writes one row per case and names the targets missed', () => {
    const t = faultsTable([{ case: 'x', title: 'Redis killed', ...tally(record), drainMs: 1500, targets: [{ name: '0 lost', met: false, detail: '1 lost' }, { name: 'y', met: true, detail: '' }], notes: [] }]);
    expect(t.split('\n')).toHaveLength(3);
    expect(t).toContain('| Redis killed | 4 | 3 | 403: 1, timeout: 1 | 2 | 2 | 1 | 1 | drain 1.5 s | missed: 0 lost (1 lost) |');
  });
});
