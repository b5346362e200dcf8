// WeChat counts an account's daily API quotas per Beijing day (UTC+8, no daylight saving):
// a 45009 stops until 00:00 there. The clock is injected so tests can stand just before midnight.
export type Clock = () => number;

const BEIJING_OFFSET_MS = 8 * 3600_000;
const DAY_MS = 86_400_000;

/** Epoch ms of the next 00:00 Beijing time after `now`. */
export function nextQuotaDay(now: number): number {
  return Math.floor((now + BEIJING_OFFSET_MS) / DAY_MS + 1) * DAY_MS - BEIJING_OFFSET_MS;
}
