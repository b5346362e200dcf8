// The incident's shape as a small terminal histogram: one row per minute, one bar made of one
// letter per cause (answered is "."), scaled to the busiest minute, and a legend with each
// cause's count and first–last time: how long the outage lasted.
import { ANSWERED, type Shape } from './alert-shape.js';
import { formatBeijing } from './time.js';

const WIDTH = 40;
const LETTERS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';

export function symbolsOf(shape: Shape): Map<string, string> {
  const symbols = new Map<string, string>();
  let i = 0;
  for (const c of shape.causes) symbols.set(c.cause, c.cause === ANSWERED ? '.' : LETTERS[i++ % LETTERS.length]!);
  return symbols;
}

export function renderShape(shape: Shape): string[] {
  if (shape.causes.length === 0) return ['  (no push in the window)'];
  const symbols = symbolsOf(shape);
  const max = Math.max(1, ...shape.minutes.map((m) => m.total));
  const scale = max > WIDTH ? WIDTH / max : 1;
  const clock = (ms: number): string => formatBeijing(ms, { date: false, millis: false });
  const rows = shape.minutes.map((m) => {
    // Failures first so they stand out; at least one letter for any cause present.
    const bar = shape.causes
      .filter((c) => m.counts[c.cause])
      .sort((a, b) => Number(a.cause === ANSWERED) - Number(b.cause === ANSWERED))
      .map((c) => symbols.get(c.cause)!.repeat(Math.max(1, Math.round(m.counts[c.cause]! * scale))))
      .join('');
    return `  ${clock(m.minute).slice(0, 5)}  ${bar.padEnd(WIDTH + 2)} ${String(m.total).padStart(5)}`;
  });
  const legend = shape.causes.map((c) => `    ${symbols.get(c.cause)} ${String(c.count).padStart(5)}  ${c.cause}, ${clock(c.first)} → ${clock(c.last)}`);
  return [...rows, ...(scale < 1 ? [`  (one letter ≈ ${Math.round(1 / scale)} pushes)`] : []), ...legend];
}
