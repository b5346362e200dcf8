import { describe, expect, it } from 'vitest';
import { nextQuotaDay } from '../../src/campaigns/quota-day.js';

describe('nextQuotaDay: 00:00 Beijing (UTC+8) after now', () => {
  it('from 23:59:59 Beijing, one second later', () => {
    const now = Date.parse('2026-11-22T23:59:59+08:00');
    expect(nextQuotaDay(now)).toBe(Date.parse('2026-11-23T00:00:00+08:00'));
  });
  it('from 00:00:00 exactly, the next day (the day that just began is the current one)', () => {
    expect(nextQuotaDay(Date.parse('2026-11-23T00:00:00+08:00'))).toBe(Date.parse('2026-11-24T00:00:00+08:00'));
  });
  it('from 10:00 UTC (18:00 Beijing), 16:00 UTC', () => {
    expect(nextQuotaDay(Date.parse('2026-11-22T10:00:00Z'))).toBe(Date.parse('2026-11-22T16:00:00Z'));
  });
});
