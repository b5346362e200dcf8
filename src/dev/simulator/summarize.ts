// Folds per-message results into the summary: acknowledgements, deliveries, and failed
// deliveries counted under WeChat's alert words, each with its first sample as WeChat prints it.
import type { PushMode } from '../pushes.js';
import type { DeliveryOutcome } from './deliver.js';
import type { SimKind } from './message-kinds.js';
import type { AlertCount, AlertId, MessageResult, SimulationSummary } from './types.js';

export const ALERT_WORDS: Readonly<Record<AlertId, string>> = {
  request_timeout: '请求超时',
  response_failure: '回应失败',
  connection_timeout: '连接超时',
};

const ALERT_IDS = Object.keys(ALERT_WORDS) as AlertId[];

/** WeChat's alerts give times in Beijing time, `2014-12-01 20:12:00`. */
export function beijingTime(ms: number): string {
  return new Date(ms + 8 * 3600_000).toISOString().slice(0, 19).replace('T', ' ');
}

export function percentile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

function escapeSample(s: string): string {
  return s.replace(/\r?\n/g, ' ');
}

interface Run {
  url: string;
  mode: PushMode;
  kinds: readonly SimKind[];
  results: readonly MessageResult[];
  notSent: number;
  durationMs: number;
}

export function summarize({ url, mode, kinds, results, notSent, durationMs }: Run): SimulationSummary {
  const counts = new Map<AlertId, { count: number; messages: number; first?: { at: string; sample: string } }>(ALERT_IDS.map((id) => [id, { count: 0, messages: 0 }]));
  const latencies: number[] = [];
  let deliveries = 0;
  let passiveReplies = 0;
  let passiveRefused = 0;
  let firstPassive: SimulationSummary['firstPassive'];
  let first = 0;
  let afterRetry = 0;
  for (const r of results) {
    deliveries += r.deliveries.length;
    if (r.ackedOn === 1) first += 1;
    else if (r.ackedOn > 1) afterRetry += 1;
    const seen = new Set<DeliveryOutcome>();
    r.deliveries.forEach((d) => {
      if (d.status !== undefined && d.outcome !== 'request_timeout') latencies.push(d.ms);
      if (d.outcome === 'passive') {
        passiveReplies += 1;
        firstPassive ??= d.passive;
        if (d.passive && !d.passive.ok) passiveRefused += 1;
      }
      const c = counts.get(d.outcome as AlertId);
      if (!c) return;
      c.count += 1;
      if (!seen.has(d.outcome)) c.messages += 1;
      seen.add(d.outcome);
      if (!c.first) {
        const answer = d.answer !== undefined ? `[response_length=${d.answerLength ?? 0}][response_content=${escapeSample(d.answer)}]` : '';
        const error = d.error ? `[error=${d.error}]` : '';
        c.first = { at: beijingTime(d.at), sample: `${r.sample}${answer}${error}` };
      }
    });
  }
  latencies.sort((a, b) => a - b);
  const alerts: AlertCount[] = ALERT_IDS.map((id) => ({ id, keyword: ALERT_WORDS[id], ...counts.get(id)! }));
  const timedOut = counts.get('request_timeout')!.messages;
  return {
    url,
    mode,
    kinds,
    messages: results.length,
    notSent,
    acknowledged: { first, afterRetry, never: results.length - first - afterRetry },
    deliveries,
    passiveReplies,
    ...(firstPassive && { firstPassive }),
    passiveRefused,
    alerts,
    timedOutShare: results.length === 0 ? 0 : timedOut / results.length,
    latencyMs: latencies.length === 0 ? null : { p50: percentile(latencies, 0.5), p99: percentile(latencies, 0.99), max: latencies[latencies.length - 1]! },
    durationMs: Math.round(durationMs),
    messagesPerSecond: durationMs > 0 ? Math.round((results.length / durationMs) * 1000 * 10) / 10 : 0,
  };
}
