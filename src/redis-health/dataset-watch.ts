// Decides, from one check's readings and the previous ones, whether Redis lost its data under
// this process and why. Pure: the caller reads Redis, logs and counts.
//   marker gone or replaced + Redis's run_id changed → restart (or failover) without the data
//   marker gone or replaced + keys evicted since     → eviction
//   marker gone or replaced otherwise                → flush (FLUSHALL, FLUSHDB, keys deleted)
//   marker intact, but keys evicted since            → eviction (an LRU policy keeps the marker,
//                                                      which is read often, and drops jobs)
// Evictions are reported once per streak of checks that see them, not once per check.
export type LossReason = 'restart' | 'flush' | 'eviction';
export const LOSS_REASONS: readonly LossReason[] = ['restart', 'flush', 'eviction'];

export interface Reading {
  /** The marker's epoch id as read now (null: gone). */
  readonly marker: string | null;
  readonly runId?: string;
  readonly evictedKeys?: number;
}

export interface WatchState {
  /** The epoch this process knows; undefined before its first check. */
  readonly epoch?: string | null;
  readonly runId?: string;
  readonly evictedKeys?: number;
  /** Evictions were seen at the last check (one report per streak, not one per check). */
  readonly evicting: boolean;
}

export type Finding =
  | { kind: 'first'; markerFound: boolean }
  | { kind: 'lost'; reason: LossReason; evicted: number }
  /** The marker was evicted again while the eviction already reported goes on: written again, quietly. */
  | { kind: 'rearm' }
  | { kind: 'restarted-with-data' }
  | { kind: 'evicting'; evicted: number }
  | { kind: 'stopped-evicting' }
  | { kind: 'same' };

export interface Verdict {
  readonly finding: Finding;
  /** The next check's `evicting`. */
  readonly evicting: boolean;
}

export function judge(prev: WatchState, now: Reading): Verdict {
  if (prev.epoch === undefined) return { finding: { kind: 'first', markerFound: now.marker !== null }, evicting: false };
  const restarted = prev.runId !== undefined && now.runId !== undefined && prev.runId !== now.runId;
  // A restart resets the count; so does CONFIG RESETSTAT (the count going down).
  const evicted = restarted || prev.evictedKeys === undefined || now.evictedKeys === undefined ? 0 : Math.max(0, now.evictedKeys - prev.evictedKeys);
  const evicting = evicted > 0;
  if (now.marker === null || now.marker !== prev.epoch) {
    const reason = restarted ? 'restart' : evicting ? 'eviction' : 'flush';
    return { finding: reason === 'eviction' && prev.evicting ? { kind: 'rearm' } : { kind: 'lost', reason, evicted }, evicting };
  }
  if (restarted) return { finding: { kind: 'restarted-with-data' }, evicting };
  if (evicting) return { finding: prev.evicting ? { kind: 'same' } : { kind: 'evicting', evicted }, evicting };
  return { finding: prev.evicting ? { kind: 'stopped-evicting' } : { kind: 'same' }, evicting };
}
