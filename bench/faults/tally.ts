// The pure counting of the fault suite (issue 14): from what a case recorded (each delivery's
// answer, the handler runs and the replies at the mock, all keyed by message), the figures every
// FaultCaseResult carries. A message is keyed by its openid: each case gives every message its own.
import type { FaultCaseResult } from './case.js';

/** An HTTP status, or 'reset' / 'timeout' when WeChat would have had no answer. */
export type Answer = number | 'reset' | 'timeout';

export interface FaultRecord {
  deliveries: readonly { key: string; answer: Answer; success: boolean }[];
  /** One entry per handler run ('message handled' line), by message key. */
  handlerRuns: readonly string[];
  /** One entry per reply accepted at the mock, by message key. */
  replies: readonly string[];
}

export type Tally = Pick<FaultCaseResult, 'pushes' | 'deliveries' | 'success' | 'otherAnswers' | 'handlerRuns' | 'replies' | 'lost' | 'duplicated'>;

function counts(keys: readonly string[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const k of keys) m.set(k, (m.get(k) ?? 0) + 1);
  return m;
}

/** Messages acknowledged (one `success` delivery is enough) and never handled or replied to. */
export function lostKeys(record: FaultRecord): string[] {
  const acked = new Set(record.deliveries.filter((d) => d.success).map((d) => d.key));
  const runs = new Set(record.handlerRuns);
  const replied = new Set(record.replies);
  return [...acked].filter((k) => !runs.has(k) || !replied.has(k));
}

export function tally(record: FaultRecord): Tally {
  const otherAnswers: Record<string, number> = {};
  for (const d of record.deliveries) if (!d.success) otherAnswers[String(d.answer)] = (otherAnswers[String(d.answer)] ?? 0) + 1;
  const replies = counts(record.replies);
  return {
    pushes: new Set(record.deliveries.map((d) => d.key)).size,
    deliveries: record.deliveries.length,
    success: record.deliveries.filter((d) => d.success).length,
    otherAnswers,
    handlerRuns: record.handlerRuns.length,
    replies: replies.size,
    lost: lostKeys(record).length,
    duplicated: [...replies.values()].reduce((sum, n) => sum + n - 1, 0),
  };
}
