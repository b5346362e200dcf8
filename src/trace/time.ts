// Times as people paste them. WeChat's alerts say `时间: 2014-12-01 20:12:00` in Beijing time
// (UTC+8, no daylight saving); logs say epoch ms (pino), epoch seconds with ms (nginx $msec)
// or `01/Dec/2014:20:12:00 +0800` (nginx $time_local).

export const BEIJING_OFFSET_MS = 8 * 3600_000;

const MONTHS: Record<string, number> = {
  Jan: 0, Feb: 1, Mar: 2, Apr: 3, May: 4, Jun: 5, Jul: 6, Aug: 7, Sep: 8, Oct: 9, Nov: 10, Dec: 11,
};

// 2014-12-01 20:12:00, 2014/12/01 20:12, 2014-12-01T20:12:00.5+08:00, …Z
const DATE_TIME = /^(\d{4})[-/](\d{1,2})[-/](\d{1,2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3})\d*)?)?)?\s*(Z|[+-]\d{2}:?\d{2})?$/i;
// 01/Dec/2014:20:12:00 +0800
const TIME_LOCAL = /^(\d{2})\/([A-Z][a-z]{2})\/(\d{4}):(\d{2}):(\d{2}):(\d{2})\s*([+-]\d{4})$/;

function offsetMs(zone: string | undefined): number {
  if (zone === undefined) return BEIJING_OFFSET_MS;
  if (zone.toUpperCase() === 'Z') return 0;
  const sign = zone.startsWith('-') ? -1 : 1;
  const digits = zone.slice(1).replace(':', '');
  return sign * (Number(digits.slice(0, 2)) * 3600_000 + Number(digits.slice(2, 4)) * 60_000);
}

/**
 * Parses a time to epoch ms, or returns undefined. Accepts epoch seconds (9–10 digits, may
 * have a fraction) and epoch ms (12–13 digits); dates without a zone are Beijing time.
 */
export function parseTime(text: string): number | undefined {
  const s = normalizeDate(text);
  if (/^\d{9,10}(\.\d+)?$/.test(s)) return Math.round(Number(s) * 1000);
  if (/^\d{12,13}$/.test(s)) return Number(s);
  const d = DATE_TIME.exec(s);
  if (d) {
    const [, y, mo, da, h = '0', mi = '0', se = '0', frac = '0', zone] = d;
    const utc = validUtc(Number(y), Number(mo) - 1, Number(da), Number(h), Number(mi), Number(se), Number(frac.padEnd(3, '0')));
    return utc === undefined ? undefined : utc - offsetMs(zone);
  }
  return parseTimeLocal(s);
}

/**
 * Dates as people paste them, to `2014-12-01 20:12:00`: full-width digits and colons, all-Chinese
 * dates (`2014年12月1日 20时12分00秒`), several spaces between date and time (issue 19).
 */
export function normalizeDate(text: string): string {
  return text
    .replace(/[０-９]/g, (d) => String.fromCharCode(d.charCodeAt(0) - 0xfee0))
    .replace(/：/g, ':')
    .replace(/(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*[日号]/, '$1-$2-$3 ')
    .replace(/(\d{1,2})\s*[时點点]\s*(\d{1,2})\s*分(?:\s*(\d{1,2})\s*秒)?/, (_m, h: string, mi: string, se?: string) => `${h}:${mi.padStart(2, '0')}${se ? `:${se.padStart(2, '0')}` : ''}`)
    .replace(/\s+/g, ' ')
    .trim();
}

/** nginx $time_local (`01/Dec/2014:20:12:00 +0800`) to epoch ms. */
export function parseTimeLocal(s: string): number | undefined {
  const m = TIME_LOCAL.exec(s);
  if (!m) return undefined;
  const [, da, mon, y, h, mi, se, zone] = m;
  const month = MONTHS[mon!];
  if (month === undefined) return undefined;
  const utc = validUtc(Number(y), month, Number(da), Number(h), Number(mi), Number(se), 0);
  return utc === undefined ? undefined : utc - offsetMs(zone);
}

/** Date.UTC, but undefined where it would roll over (month 13, 25:00, 31 February). */
function validUtc(y: number, mo: number, d: number, h: number, mi: number, s: number, ms: number): number | undefined {
  const t = Date.UTC(y, mo, d, h, mi, s, ms);
  const back = new Date(t);
  const same = back.getUTCFullYear() === y && back.getUTCMonth() === mo && back.getUTCDate() === d && back.getUTCHours() === h && back.getUTCMinutes() === mi;
  return same && s < 60 ? t : undefined;
}

/** `2014-12-01 20:12:00.123` in Beijing time (the zone WeChat's alerts use). */
export function formatBeijing(ms: number, { date = true, millis = true } = {}): string {
  const iso = new Date(ms + BEIJING_OFFSET_MS).toISOString(); // 2014-12-01T20:12:00.123Z
  const clock = millis ? iso.slice(11, 23) : iso.slice(11, 19);
  return date ? `${iso.slice(0, 10)} ${clock}` : clock;
}

/** A duration for people: 12 ms, 1.23 s, 5.0 s. */
export function formatMs(ms: number | undefined): string {
  if (ms === undefined || Number.isNaN(ms)) return '-';
  if (ms < 1000) return `${Math.round(ms * 10) / 10} ms`;
  return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
}
