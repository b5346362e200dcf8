import { describe, expect, it } from 'vitest';
import { formatBeijing, formatMs, parseTime, parseTimeLocal } from '../../src/trace/time.js';

describe('parseTime', () => {
  it('reads WeChat alert times as Beijing time', () => {
    expect(parseTime('2014-12-01 20:12:00')).toBe(Date.UTC(2014, 11, 1, 12, 12, 0));
    expect(parseTime('2014/12/01 20:12')).toBe(Date.UTC(2014, 11, 1, 12, 12, 0));
  });

  it('honours an explicit zone', () => {
    expect(parseTime('2014-12-01T12:12:00Z')).toBe(Date.UTC(2014, 11, 1, 12, 12, 0));
    expect(parseTime('2014-12-01T20:12:00.250+08:00')).toBe(Date.UTC(2014, 11, 1, 12, 12, 0, 250));
    expect(parseTime('2014-12-01 13:12:00 +0100')).toBe(Date.UTC(2014, 11, 1, 12, 12, 0));
  });

  it('reads epoch seconds and milliseconds', () => {
    expect(parseTime('1417435920')).toBe(1417435920000);
    expect(parseTime('1417435920.5')).toBe(1417435920500);
    expect(parseTime('1417435920123')).toBe(1417435920123);
  });

  it('reads nginx $time_local', () => {
    expect(parseTime('01/Dec/2014:20:12:00 +0800')).toBe(Date.UTC(2014, 11, 1, 12, 12, 0));
    expect(parseTimeLocal('01/Dec/2014:12:12:00 +0000')).toBe(Date.UTC(2014, 11, 1, 12, 12, 0));
  });

  it('gives undefined for what is not a time', () => {
    for (const s of ['', 'yesterday', '2014-13-45 99:99', '12345', '01/Foo/2014:20:12:00 +0800']) expect(parseTime(s)).toBeUndefined();
  });
});

describe('formatting', () => {
  it('prints Beijing time', () => {
    expect(formatBeijing(Date.UTC(2014, 11, 1, 12, 12, 0, 5))).toBe('2014-12-01 20:12:00.005');
    expect(formatBeijing(Date.UTC(2014, 11, 1, 16, 0, 0), { date: false, millis: false })).toBe('00:00:00');
  });

  it('prints durations', () => {
    expect(formatMs(undefined)).toBe('-');
    expect(formatMs(0.25)).toBe('0.3 ms');
    expect(formatMs(12)).toBe('12 ms');
    expect(formatMs(5102.4)).toBe('5.10 s');
    expect(formatMs(61_000)).toBe('61.0 s');
  });
});

describe('parseTime as alerts are pasted (issue 19)', () => {
  const t = Date.UTC(2026, 11, 3, 6, 16, 56); // 2026-12-03 14:16:56 +08:00
  it.each([
    ['two spaces', '2026-12-03  14:16:56'],
    ['all-Chinese date', '2026年12月3日 14:16:56'],
    ['all-Chinese date and time', '2026年12月3日14时16分56秒'],
    ['full-width digits and colons', '２０２６-１２-０３ １４：１６：５６'],
    ['a tab', '2026/12/03\t14:16:56'],
  ])('%s', (_name, text) => {
    expect(parseTime(text)).toBe(t);
  });
});
