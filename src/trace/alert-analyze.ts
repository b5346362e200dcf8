// A parsed alert plus the log lines around its time, to what happened: how many pushes of the
// alert's type arrived, how many were answered and how fast per layer, which never reached a
// receiver, which got something other than `success`, and the layer at fault.
import { classifyDelivery, NETWORK_LAYER, STALLED_NGINX_LAYER, STALLED_RECEIVER_LAYER, type DeliveryVerdict } from './classify.js';
import { NGINX_ERROR_LAYER, type LogEvent } from './event.js';
import { buildDeliveries, deliveryStart, groupMessages, type Delivery } from './group.js';
import type { AlertFamily, AlertKind } from './alert-kinds.js';
import type { ParsedAlert } from './alert-parse.js';
import { contextOf, contextSentences, type AlertContext } from './alert-context.js';
import { appScope, coverageOf, ofAccount, type AppScope, type Coverage } from './alert-scope.js';
import { shapeOf, type Shape } from './alert-shape.js';
import { hasType, matchesType, typeFilterOf, typeLabel, type TypeFilter } from './alert-types.js';
import type { SourceSpan } from './scan.js';
import { summarize, type Summary } from './stats.js';
import { buildTimeline, type Timeline } from './timeline.js';
import { formatBeijing, formatMs } from './time.js';

export type { TypeFilter };

/** WeChat counts an alert's failures over 5 minutes from the time it gives. */
export const ALERT_SPAN_MS = 5 * 60_000;

export interface LayerSummary extends Summary {
  layer: string;
}

export interface DeliveryExample {
  time: number;
  reqId?: string;
  openid?: string;
  ms?: number;
  status?: number;
  text: string;
}

export interface FailureGroup {
  layer: string;
  result: DeliveryVerdict['result'];
  count: number;
  /** How many of each type (the receiver's line knows it; "unknown type" when only nginx logged the push). */
  types: Record<string, number>;
  example: DeliveryExample;
}

export interface AlertCounts {
  /** Pushes of the alert's type seen in the window, with those of unknown type (nginx only, refused before parsing). */
  deliveries: number;
  /** Of those, how many have no type in the logs (never reached a receiver, or refused before decryption). */
  unknownType: number;
  /** Pushes of other types in the window (not counted above; their failures are listed apart). */
  otherTypes: number;
  atNginx: number;
  atReceiver: number;
  nginxOnly: number;
  answered: number;
  slow: number;
  rejected: number;
  unreached: number;
  /** WeChat closed the connection before nginx answered (499). */
  abandoned: number;
  /** The receiver's or nginx's process was not running for a while (receive: stalled, access: stalled). */
  stalled: number;
  /** nginx answered 502/503/504. */
  gatewayErrors: number;
}

export interface AlertAnalysis {
  window: { from: number; to: number };
  filter?: TypeFilter;
  counts: AlertCounts;
  layers: LayerSummary[];
  /** Failures of the alert's kind, by layer, most first. */
  failures: FailureGroup[];
  /** Other failures in the window (e.g. rejections during a timeout alert). */
  otherFailures: FailureGroup[];
  /** Failures of pushes of other types than the alert's sample. */
  otherTypeFailures: FailureGroup[];
  verdict: { layer: string; detail: string };
  /** Whose pushes were read, and whether the logs name that account at all. */
  account: AppScope;
  /** The span the logs cover, per source. */
  coverage: Coverage;
  /** Per minute of the window, by cause. */
  shape: Shape;
  /** wxgate's starts, stops and Redis state; nginx's error log. */
  context: AlertContext;
  /** $server_addr values nginx logged: the IPs WeChat reached. */
  serverAddrs: string[];
  /** Receive steps seen (enqueue, spool, …) with their summaries. */
  spooled: number;
  /** Rejection reasons and how often. */
  reasons: Record<string, number>;
  /** MarkFail: the longest pause between pushes around the alert time. */
  gap?: { from: number; to: number; ms: number };
  /** The message the alert's sample names (OpenID + Stamp), if the logs have it. */
  sample: Timeline[];
}

export interface AnalyzeOptions {
  /** Look this far before and after the alert's 5-minute span (clock skew, late lines). */
  slackMs?: number;
  /** Read this account's pushes instead of (or when it has none) the alert's. */
  appid?: string;
  /** What the scan saw of each source (coverage); without it the events' own span is taken. */
  spans?: SourceSpan[];
}

/** Process lines and nginx errors are read this far around the window (a restart just before it). */
export const CONTEXT_MS = 10 * 60_000;

/** The window to read logs for: MarkFail looks at the 5 minutes before the block too. */
export function alertWindow(alert: ParsedAlert, kind: AlertKind, { slackMs = 60_000 }: AnalyzeOptions = {}): { from: number; to: number } {
  const t = alert.time ?? Date.now();
  const before = kind.family === 'markfail' ? ALERT_SPAN_MS + slackMs : slackMs;
  return { from: t - before, to: t + ALERT_SPAN_MS + slackMs };
}

/** A push from WeChat (POST with its signed query), not a health check or an /internal call. */
function isPush(d: Delivery): boolean {
  if (d.receive?.outcome === 'verified') return false;
  const a = d.access?.access;
  if (!a) return true;
  return a.method !== 'GET' && (a.pushTs !== undefined || (a.path ?? '').includes('wechat'));
}

function exampleOf(d: Delivery, v: DeliveryVerdict): DeliveryExample {
  const ex: DeliveryExample = { time: deliveryStart(d), text: v.text };
  const reqId = d.reqId;
  const openid = d.receive?.openid ?? d.access?.openid;
  if (reqId !== undefined) ex.reqId = reqId;
  if (openid !== undefined) ex.openid = openid;
  if (v.answerMs !== undefined) ex.ms = v.answerMs;
  if (v.status !== undefined) ex.status = v.status;
  return ex;
}

function groupFailures(items: { d: Delivery; v: DeliveryVerdict }[]): FailureGroup[] {
  const byLayer = new Map<string, FailureGroup>();
  for (const { d, v } of items) {
    const layer = v.layer ?? v.result;
    const type = typeLabel(d.receive);
    const g = byLayer.get(layer);
    if (g) {
      g.count++;
      g.types[type] = (g.types[type] ?? 0) + 1;
    } else byLayer.set(layer, { layer, result: v.result, count: 1, types: { [type]: 1 }, example: exampleOf(d, v) });
  }
  return [...byLayer.values()].sort((a, b) => b.count - a.count);
}

function layerSummaries(ds: Delivery[]): LayerSummary[] {
  const access = ds.flatMap((d) => (d.access?.ms !== undefined ? [d.access.ms] : []));
  const upstream = ds.flatMap((d) => (d.access?.access?.upstreamMs !== undefined ? [d.access.access.upstreamMs] : []));
  const receive = ds.flatMap((d) => (d.receive?.ms !== undefined ? [d.receive.ms] : []));
  const steps = new Map<string, number[]>();
  for (const d of ds) {
    for (const [k, v] of Object.entries(d.receive?.steps ?? {})) steps.set(k, [...(steps.get(k) ?? []), v]);
  }
  const out: LayerSummary[] = [
    { layer: 'access', ...summarize(access) },
    { layer: 'access upstream', ...summarize(upstream) },
    { layer: 'receive', ...summarize(receive) },
    ...[...steps].map(([k, v]) => ({ layer: `receive: ${k}`, ...summarize(v) })),
  ];
  return out.filter((s) => s.n > 0);
}

/** The failures WeChat would count under this kind of alert. */
function isRelevant(family: AlertFamily, v: DeliveryVerdict): boolean {
  if (v.result === 'ok') return false;
  if (family === 'timeout') return v.result === 'slow' || v.result === 'abandoned';
  if (family === 'failure') return v.result === 'rejected' || v.result === 'unreached';
  return true;
}

const isStalled = (v: DeliveryVerdict): boolean => v.layer === STALLED_RECEIVER_LAYER || v.layer === STALLED_NGINX_LAYER;

function longestGap(times: number[], from: number, to: number): AlertAnalysis['gap'] {
  const sorted = times.filter((t) => t >= from && t <= to).sort((a, b) => a - b);
  let best: AlertAnalysis['gap'];
  for (let i = 1; i < sorted.length; i++) {
    const ms = sorted[i]! - sorted[i - 1]!;
    if (!best || ms > best.ms) best = { from: sorted[i - 1]!, to: sorted[i]!, ms };
  }
  return best;
}

interface VerdictInput {
  kind: AlertKind;
  counts: AlertCounts;
  failures: FailureGroup[];
  otherFailures: FailureGroup[];
  otherTypeFailures: FailureGroup[];
  filterLabel: string;
  account: AppScope;
  coverage: Coverage;
  span: { from: number; to: number };
}

function failureDetail(groups: FailureGroup[], counts: AlertCounts, what: string, verb: string): string {
  const top = groups[0]!;
  const total = groups.reduce((s, f) => s + f.count, 0);
  return `${total} of ${counts.deliveries} ${what} ${verb}; ${top.count} at ${top.layer}: ${top.example.text}`;
}

function verdictOf(x: VerdictInput): AlertAnalysis['verdict'] {
  const { kind, counts, failures, otherFailures, otherTypeFailures, account, coverage } = x;
  const what = `${x.filterLabel} pushes`;
  if (!account.inLogs) {
    return { layer: 'logs: no lines for this appid', detail: `these logs hold no line for appid ${account.appid}; the accounts they name are ${account.seen.join(', ')}: give this account's logs (or --appid to read another)` };
  }
  if (!coverage.covered) {
    const when = `${formatBeijing(x.span.from, { millis: false })} → ${formatBeijing(x.span.to, { date: false, millis: false })}`;
    return { layer: 'logs: window not covered', detail: `the alert's window is ${when} (+08:00), but ${coverage.text}: nothing can be said about it from these logs` };
  }
  if (kind.family === 'network' && failures.length === 0) {
    const seen = counts.deliveries === 0
      ? `no ${what} reached nginx or a receiver in the window`
      : `${counts.deliveries} ${what} did reach us in the window (${counts.answered} answered in time), so the failures were partial: connection limits, load, or part of the route`;
    return { layer: NETWORK_LAYER, detail: `${seen}; a ${kind.keyword} happens before any request is logged` };
  }
  if (failures.length > 0) {
    const verb = kind.family === 'timeout' ? 'were not answered within 5 s' : kind.family === 'failure' ? 'were not answered success' : 'failed';
    return { layer: failures[0]!.layer, detail: failureDetail(failures, counts, what, verb) };
  }
  // WeChat named one kind, the logs show another (a 504 at nginx's read timeout reads as 回应失败 to
  // WeChat, yet gets pasted as 请求超时): the evidence decides, and says so.
  if (otherFailures.length > 0) {
    const detail = failureDetail(otherFailures, counts, what, 'failed');
    return { layer: otherFailures[0]!.layer, detail: `no ${kind.keyword} in our logs, but ${detail} (WeChat may count these under another alert)` };
  }
  if (counts.deliveries === 0 && otherTypeFailures.length > 0) {
    const top = otherTypeFailures[0]!;
    return { layer: top.layer, detail: `no ${what} in the window, but pushes of other types failed: ${top.count} at ${top.layer}: ${top.example.text}` };
  }
  if (counts.deliveries === 0) {
    return { layer: NETWORK_LAYER, detail: `no ${what} reached nginx or a receiver in the window: they were lost before our access layer (DNS, connection, firewall, or the server was down)` };
  }
  const noNginx = counts.atNginx === 0 ? ' (no nginx lines were given: pass the access log too)' : '';
  return {
    layer: NETWORK_LAYER,
    detail: `all ${counts.deliveries} ${what} in our logs were answered success within 5 s${noNginx}; the ones WeChat counted left no line, so they failed before nginx (DNS, connection, network) or went to another server`,
  };
}

/** events: every line read for the window (see alertWindow). */
export function analyzeAlert(alert: ParsedAlert, kind: AlertKind, events: LogEvent[], options: AnalyzeOptions = {}): AlertAnalysis {
  const window = alertWindow(alert, kind, options);
  const t = alert.time ?? window.from;
  const span = { from: t, to: t + ALERT_SPAN_MS };
  const filter = typeFilterOf(alert, kind);
  const processLines = events.filter((e) => e.life !== undefined || e.layer === NGINX_ERROR_LAYER);
  const { deliveries } = buildDeliveries(events);
  const pushes = deliveries.filter((d) => {
    const at = deliveryStart(d);
    return at >= window.from && at <= window.to && isPush(d);
  });
  // A third-party platform's alert names the platform's appid, not an account wxgate serves.
  const account = appScope(kind.thirdParty ? undefined : alert.appid, options.appid, pushes, processLines.filter((e) => e.apps !== undefined));
  const inWindow = ofAccount(account, pushes);
  // A push refused before decryption, or stopped at nginx, has no type: it is counted (it may
  // be one of the alert's) and said to be of unknown type, never taken for the sample's type.
  const matching = inWindow.filter((d) => !filter || !hasType(d.receive) || matchesType(d.receive!, filter));
  const otherTyped = inWindow.filter((d) => !matching.includes(d));
  const judged = matching.map((d) => ({ d, v: classifyDelivery(d) }));
  const judgedOther = otherTyped.map((d) => ({ d, v: classifyDelivery(d) }));
  const of = (r: DeliveryVerdict['result']): number => judged.filter(({ v }) => v.result === r).length;

  const counts: AlertCounts = {
    deliveries: matching.length,
    unknownType: matching.filter((d) => !hasType(d.receive)).length,
    otherTypes: otherTyped.length,
    atNginx: matching.filter((d) => d.access).length,
    atReceiver: matching.filter((d) => d.receive).length,
    nginxOnly: matching.filter((d) => d.access && !d.receive).length,
    answered: of('ok'),
    slow: of('slow'),
    rejected: of('rejected'),
    unreached: of('unreached'),
    abandoned: of('abandoned'),
    stalled: judged.filter(({ v }) => isStalled(v)).length,
    gatewayErrors: matching.filter((d) => d.access?.status === 502 || d.access?.status === 503 || d.access?.status === 504).length,
  };
  // MarkFail comes after the failures; the others are counted from the alert time on.
  const upTo = (list: typeof judged) => list.filter(({ d }) => (kind.family === 'markfail' ? deliveryStart(d) <= t + 60_000 : true));
  const failing = upTo(judged);
  const failures = groupFailures(failing.filter(({ v }) => isRelevant(kind.family, v)));
  const otherFailures = groupFailures(failing.filter(({ v }) => v.result !== 'ok' && !isRelevant(kind.family, v)));
  const otherTypeFailures = groupFailures(upTo(judgedOther).filter(({ v }) => v.result !== 'ok'));
  const reasons: Record<string, number> = {};
  for (const { v } of judged) if (v.result === 'rejected' && v.reason) reasons[v.reason] = (reasons[v.reason] ?? 0) + 1;

  const coverage = coverageOf(options.spans ?? [{ name: 'events', lines: events.length, ...(events.length > 0 ? { first: Math.min(...events.map((e) => e.end)), last: Math.max(...events.map((e) => e.end)) } : {}) }], span);
  const context = contextOf(processLines);
  const verdict = verdictOf({ kind, counts, failures, otherFailures, otherTypeFailures, filterLabel: filter?.label ?? 'all', account, coverage, span });
  const around = contextSentences(context, window);
  if (around.length > 0 && account.inLogs && coverage.covered) verdict.detail += `. Meanwhile: ${around.join('; ')}`;

  const analysis: AlertAnalysis = {
    window,
    counts,
    layers: layerSummaries(matching),
    failures,
    otherFailures,
    otherTypeFailures,
    verdict,
    account,
    coverage,
    shape: shapeOf(judged, window),
    context,
    serverAddrs: [...new Set(matching.flatMap((d) => (d.access?.access?.serverAddr ? [d.access.access.serverAddr] : [])))].sort(),
    spooled: matching.filter((d) => d.receive?.outcome === 'spooled').length,
    reasons,
    sample: sampleTimelines(alert, events),
  };
  if (filter) analysis.filter = filter;
  if (kind.family === 'markfail') {
    const gap = longestGap(inWindow.map(deliveryStart), t - ALERT_SPAN_MS, t + ALERT_SPAN_MS);
    if (gap) analysis.gap = gap;
  }
  return analysis;
}

function sampleTimelines(alert: ParsedAlert, events: LogEvent[]): Timeline[] {
  const { openid, stamp } = alert.sample;
  if (!openid) return [];
  const messages = groupMessages(events.filter((e) => e.openid === openid));
  const chosen = stamp === undefined
    ? messages
    : messages.filter((m) => m.identity.stamp === stamp || m.deliveries.some((d) => d.access?.access?.pushTs === stamp));
  return chosen.map(buildTimeline);
}

export function describeGap(gap: AlertAnalysis['gap']): string {
  return gap ? `${formatMs(gap.ms)} without a push` : 'no pushes to measure a pause between';
}
