// A parsed alert plus the log lines around its time, to what happened: how many pushes of the
// alert's type arrived, how many were answered and how fast per layer, which never reached a
// receiver, which got something other than `success`, and the layer at fault.
import { classifyDelivery, NETWORK_LAYER, type DeliveryVerdict } from './classify.js';
import type { LogEvent } from './event.js';
import { buildDeliveries, deliveryStart, groupMessages, type Delivery } from './group.js';
import type { AlertFamily, AlertKind } from './alert-kinds.js';
import type { ParsedAlert } from './alert-parse.js';
import { summarize, type Summary } from './stats.js';
import { buildTimeline, type Timeline } from './timeline.js';
import { formatMs } from './time.js';

/** WeChat counts an alert's failures over 5 minutes from the time it gives. */
export const ALERT_SPAN_MS = 5 * 60_000;

export interface TypeFilter {
  label: string;
  msgType?: string;
  event?: string;
  infoType?: string;
}

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
  example: DeliveryExample;
}

export interface AlertCounts {
  /** Pushes of the alert's type seen in the window, with those of unknown type (nginx only, refused before parsing). */
  deliveries: number;
  atNginx: number;
  atReceiver: number;
  nginxOnly: number;
  answered: number;
  slow: number;
  rejected: number;
  unreached: number;
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
  verdict: { layer: string; detail: string };
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
}

/** The window to read logs for: MarkFail looks at the 5 minutes before the block too. */
export function alertWindow(alert: ParsedAlert, kind: AlertKind, { slackMs = 60_000 }: AnalyzeOptions = {}): { from: number; to: number } {
  const t = alert.time ?? Date.now();
  const before = kind.family === 'markfail' ? ALERT_SPAN_MS + slackMs : slackMs;
  return { from: t - before, to: t + ALERT_SPAN_MS + slackMs };
}

export function typeFilterOf(alert: ParsedAlert, kind: AlertKind): TypeFilter | undefined {
  const { event, msg, infoType } = alert.sample;
  const info = infoType ?? kind.infoType;
  if (info) return { label: `InfoType ${info}`, infoType: info };
  if (event) return { label: `event ${event}`, event };
  if (msg) return { label: msg.toLowerCase(), msgType: msg };
  return undefined;
}

const same = (a: string | undefined, b: string | undefined): boolean => a !== undefined && b !== undefined && a.toLowerCase() === b.toLowerCase();

function matchesType(r: LogEvent, f: TypeFilter): boolean {
  if (f.infoType) return same(r.msgType, f.infoType) || same(r.event, f.infoType);
  if (f.event) return same(r.event, f.event);
  // Newer alerts write [Msg=Subscribe] for an event: take it as either.
  return same(r.msgType, f.msgType) || same(r.event, f.msgType);
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
    const g = byLayer.get(layer);
    if (g) g.count++;
    else byLayer.set(layer, { layer, result: v.result, count: 1, example: exampleOf(d, v) });
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

function isRelevant(family: AlertFamily, v: DeliveryVerdict): boolean {
  if (v.result === 'ok') return false;
  if (family === 'timeout') return v.result === 'slow';
  if (family === 'failure') return v.result === 'rejected' || v.result === 'unreached';
  return true;
}

function longestGap(times: number[], from: number, to: number): AlertAnalysis['gap'] {
  const sorted = times.filter((t) => t >= from && t <= to).sort((a, b) => a - b);
  let best: AlertAnalysis['gap'];
  for (let i = 1; i < sorted.length; i++) {
    const ms = sorted[i]! - sorted[i - 1]!;
    if (!best || ms > best.ms) best = { from: sorted[i - 1]!, to: sorted[i]!, ms };
  }
  return best;
}

function verdictOf(kind: AlertKind, counts: AlertCounts, failures: FailureGroup[], filterLabel: string): AlertAnalysis['verdict'] {
  const top = failures[0];
  const what = `${filterLabel} pushes`;
  if (kind.family === 'network') {
    const seen = counts.deliveries === 0
      ? `no ${what} reached nginx or a receiver in the window`
      : `${counts.deliveries} ${what} did reach us in the window (${counts.answered} answered in time), so the failures were partial: connection limits, load, or part of the route`;
    return { layer: NETWORK_LAYER, detail: `${seen}; a ${kind.keyword} happens before any request is logged` };
  }
  if (top) {
    const verb = kind.family === 'timeout' ? 'took 5 s or more' : kind.family === 'failure' ? 'were not answered success' : 'failed';
    const total = failures.reduce((s, f) => s + f.count, 0);
    return { layer: top.layer, detail: `${total} of ${counts.deliveries} ${what} ${verb}; ${top.count} at ${top.layer}: ${top.example.text}` };
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
  const filter = typeFilterOf(alert, kind);
  const { deliveries } = buildDeliveries(events);
  const inWindow = deliveries.filter((d) => {
    const t = deliveryStart(d);
    return t >= window.from && t <= window.to && isPush(d);
  });
  // A push refused before parsing (bad signature) or stopped at nginx has no type: keep it.
  const typed = (r: LogEvent): boolean => r.msgType !== undefined || r.event !== undefined;
  const matching = inWindow.filter((d) => !filter || !d.receive || !typed(d.receive) || matchesType(d.receive, filter));
  const judged = matching.map((d) => ({ d, v: classifyDelivery(d) }));

  const counts: AlertCounts = {
    deliveries: matching.length,
    atNginx: matching.filter((d) => d.access).length,
    atReceiver: matching.filter((d) => d.receive).length,
    nginxOnly: matching.filter((d) => d.access && !d.receive).length,
    answered: judged.filter(({ v }) => v.result === 'ok').length,
    slow: judged.filter(({ v }) => v.result === 'slow').length,
    rejected: judged.filter(({ v }) => v.result === 'rejected').length,
    unreached: judged.filter(({ v }) => v.result === 'unreached').length,
  };
  const t = alert.time ?? window.from;
  // MarkFail comes after the failures; the others are counted from the alert time on.
  const failing = judged.filter(({ d }) => (kind.family === 'markfail' ? deliveryStart(d) <= t + 60_000 : true));
  const failures = groupFailures(failing.filter(({ v }) => isRelevant(kind.family, v)));
  const otherFailures = groupFailures(failing.filter(({ v }) => v.result !== 'ok' && !isRelevant(kind.family, v)));
  const reasons: Record<string, number> = {};
  for (const { v } of judged) if (v.result === 'rejected' && v.reason) reasons[v.reason] = (reasons[v.reason] ?? 0) + 1;

  const analysis: AlertAnalysis = {
    window,
    counts,
    layers: layerSummaries(matching),
    failures,
    otherFailures,
    verdict: verdictOf(kind, counts, failures, filter?.label ?? 'all'),
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
