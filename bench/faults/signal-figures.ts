// Pure figures for the fault cases that signal wxgate's processes (issue 14: kill -9 of a worker,
// SIGTERM of a serve, a slow client during SIGTERM): when the signals fall within the load, how
// many messages a killed worker's handler ran again for, and the shutdown deadline as a target.
import type { FaultTarget } from './case.js';

/** `count` offsets (ms from the load's start) splitting `durationS` into count + 1 equal parts. */
export function faultTimes(durationS: number, count: number): number[] {
  const step = (durationS * 1000) / (count + 1);
  return Array.from({ length: count }, (_, i) => Math.round(step * (i + 1)));
}

/** Messages whose handler ran more than once, and the runs beyond the first summed over them. */
export function repeatedRuns(handlerRuns: readonly string[]): { messages: number; extraRuns: number } {
  const by = new Map<string, number>();
  for (const k of handlerRuns) by.set(k, (by.get(k) ?? 0) + 1);
  const repeated = [...by.values()].filter((n) => n > 1);
  return { messages: repeated.length, extraRuns: repeated.reduce((sum, n) => sum + n - 1, 0) };
}

/** The process was gone (signal → exit) within WXGATE_SHUTDOWN_TIMEOUT_MS. */
export function exitTarget(exitMs: number | undefined, deadlineMs: number, what = 'serve'): FaultTarget {
  return {
    name: 'exit within deadline',
    met: exitMs !== undefined && exitMs <= deadlineMs,
    detail: exitMs === undefined ? `the ${what} had not exited` : `the ${what} was gone ${exitMs} ms after SIGTERM (deadline WXGATE_SHUTDOWN_TIMEOUT_MS=${deadlineMs})`,
  };
}

/** Every answer `success`: the other answers by status, as a target. */
export function allSuccessTarget(otherAnswers: Record<string, number>, when: string): FaultTarget {
  const n = Object.values(otherAnswers).reduce((a, b) => a + b, 0);
  const list = Object.entries(otherAnswers).map(([k, v]) => `${k}: ${v}`).join(', ');
  return { name: 'no other answers', met: n === 0, detail: n === 0 ? `every delivery answered success ${when}` : `${n} deliveries not answered success ${when} (${list})` };
}
