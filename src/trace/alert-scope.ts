// Whose pushes and which time an alert's report may speak for: the alert's account (or
// --appid's), and whether the logs cover the alert's window at all. Without these a report
// would give one account's verdict for another, or blame the network for a window nobody logged.
import type { Delivery } from './group.js';
import type { LogEvent } from './event.js';
import type { SourceSpan } from './scan.js';
import { formatBeijing } from './time.js';

export interface AppScope {
  /** The account read; undefined when neither the alert nor --appid names one. */
  appid?: string;
  from: 'alert' | 'option' | 'none';
  /** When --appid and the alert disagree, the alert's. */
  alertAppid?: string;
  /** Accounts the logs name in the window (receive lines, /wechat/<appid> paths, "receiver listening"). */
  seen: string[];
  /** False when the logs name accounts and this is not one of them. */
  inLogs: boolean;
  /** Pushes whose account the logs do not say (nginx-only on /wechat), counted as this account's. */
  unnamed: number;
}

export const appidOf = (d: Delivery): string | undefined => d.receive?.appid ?? d.access?.appid ?? d.errors?.[0]?.appid;

export function appScope(alertAppid: string | undefined, option: string | undefined, deliveries: Delivery[], processLines: LogEvent[]): AppScope {
  const appid = option ?? alertAppid;
  const seen = new Set<string>();
  for (const d of deliveries) {
    const a = appidOf(d);
    if (a) seen.add(a);
  }
  for (const e of processLines) for (const a of e.apps ?? []) seen.add(a);
  const scope: AppScope = { from: option ? 'option' : alertAppid ? 'alert' : 'none', seen: [...seen].sort(), inLogs: appid === undefined || seen.size === 0 || seen.has(appid), unnamed: 0 };
  if (appid !== undefined) scope.appid = appid;
  if (option && alertAppid && option !== alertAppid) scope.alertAppid = alertAppid;
  return scope;
}

/** This account's pushes; those nginx alone logged without an account count when the logs serve only this one. */
export function ofAccount(scope: AppScope, deliveries: Delivery[]): Delivery[] {
  if (scope.appid === undefined) return deliveries;
  const single = scope.seen.length === 0 || (scope.seen.length === 1 && scope.seen[0] === scope.appid);
  return deliveries.filter((d) => {
    const a = appidOf(d);
    if (a !== undefined) return a === scope.appid;
    if (single) scope.unnamed++;
    return single;
  });
}

export interface Coverage {
  sources: SourceSpan[];
  /** Some log covers part of the alert's 5 minutes. */
  covered: boolean;
  /** Earliest and latest line over all sources. */
  first?: number;
  last?: number;
  text: string;
}

export function coverageOf(spans: SourceSpan[], span: { from: number; to: number }): Coverage {
  const timed = spans.filter((s) => s.first !== undefined && s.last !== undefined);
  const first = timed.length > 0 ? Math.min(...timed.map((s) => s.first!)) : undefined;
  const last = timed.length > 0 ? Math.max(...timed.map((s) => s.last!)) : undefined;
  const covered = timed.some((s) => s.first! <= span.to && s.last! >= span.from);
  const when = (ms: number): string => formatBeijing(ms, { millis: false });
  const text = first === undefined ? 'the logs given have no timed line' : `the logs cover ${when(first)} → ${when(last!)} (+08:00)`;
  const c: Coverage = { sources: spans, covered, text };
  if (first !== undefined) c.first = first;
  if (last !== undefined) c.last = last;
  return c;
}
