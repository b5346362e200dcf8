// The shape of an incident over time: per minute of the alert's window, how many pushes ended
// each way (answered, or the layer at fault), and for each cause its first and last time — how
// long the outage lasted. The terminal shows it as a small histogram, --json and --html as data.
import type { DeliveryVerdict } from './classify.js';
import type { Delivery } from './group.js';
import { deliveryStart } from './group.js';

export const ANSWERED = 'answered';

export interface CauseSpan {
  cause: string;
  result: DeliveryVerdict['result'];
  count: number;
  first: number;
  last: number;
}

export interface MinuteCounts {
  /** The minute's start, epoch ms. */
  minute: number;
  total: number;
  counts: Record<string, number>;
}

export interface Shape {
  minutes: MinuteCounts[];
  /** Most first; `answered` is one of them. */
  causes: CauseSpan[];
}

export const causeOf = (v: DeliveryVerdict): string => (v.result === 'ok' ? ANSWERED : v.layer ?? v.result);

export function shapeOf(judged: { d: Delivery; v: DeliveryVerdict }[], window: { from: number; to: number }): Shape {
  const minuteOf = (t: number): number => Math.floor(t / 60_000) * 60_000;
  const minutes = new Map<number, MinuteCounts>();
  for (let m = minuteOf(window.from); m <= window.to; m += 60_000) minutes.set(m, { minute: m, total: 0, counts: {} });
  const causes = new Map<string, CauseSpan>();
  for (const { d, v } of judged) {
    const t = deliveryStart(d);
    const cause = causeOf(v);
    const row = minutes.get(minuteOf(t));
    if (row) {
      row.total++;
      row.counts[cause] = (row.counts[cause] ?? 0) + 1;
    }
    const c = causes.get(cause);
    if (!c) causes.set(cause, { cause, result: v.result, count: 1, first: t, last: t });
    else {
      c.count++;
      c.first = Math.min(c.first, t);
      c.last = Math.max(c.last, t);
    }
  }
  return { minutes: [...minutes.values()], causes: [...causes.values()].sort((a, b) => b.count - a.count) };
}
