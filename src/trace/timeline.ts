// One message's life as rows, one per layer line: when it started, how long it took, how
// it ended. Marks the slowest layer (by its own time: nginx's time minus the receiver's)
// and every answer that took WeChat's 5 s or more.
import { classifyDelivery, type DeliveryVerdict } from './classify.js';
import { WECHAT_LIMIT_MS, startOf, type Layer, type LogEvent } from './event.js';
import type { Identity, Message } from './group.js';
import { formatMs } from './time.js';

export interface TimelineRow {
  layer: Layer;
  start: number;
  end: number;
  ms?: number;
  /** Time not spent in a layer nested inside this one. */
  selfMs?: number;
  /** 1-based delivery number for access and receive rows. */
  delivery?: number;
  reqId?: string;
  outcome: string;
  ok: boolean;
  detail: string;
  slowest?: boolean;
  overLimit?: boolean;
}

export type MessageOutcome = 'success' | 'slow' | 'rejected' | 'unreached' | 'failed';

export interface DeliverySummary extends DeliveryVerdict {
  n: number;
  reqId?: string;
  start: number;
}

export interface Timeline {
  identity: Identity;
  start: number;
  end: number;
  totalMs: number;
  rows: TimelineRow[];
  deliveries: DeliverySummary[];
  outcome: { kind: MessageOutcome; text: string; layer?: string };
  slowest?: { layer: Layer; ms: number };
  /** Some answer took WeChat's 5 s or more. */
  overLimit: boolean;
}

const SYNC_LAYERS = new Set<Layer>(['access', 'receive']);

function stepsText(steps: Record<string, number> | undefined): string {
  if (!steps) return '';
  return Object.entries(steps)
    .map(([k, v]) => `${k} ${formatMs(v)}`)
    .join(', ');
}

function accessDetail(e: LogEvent): string {
  const a = e.access;
  if (!a || a.upstreamAddrs.length === 0) return 'answered by nginx';
  const statuses = a.upstreamStatuses.map((s) => s ?? '-').join(', ');
  return `upstream ${a.upstreamAddrs.join(', ')} → ${statuses} in ${formatMs(a.upstreamMs)}`;
}

function rowOf(e: LogEvent): Omit<TimelineRow, 'delivery'> {
  const failed = e.outcome === 'rejected' || e.outcome === 'failed' || (e.status ?? 0) >= 400;
  let outcome: string;
  let detail = '';
  if (e.layer === 'access') {
    outcome = e.status === undefined ? '?' : String(e.status);
    detail = accessDetail(e);
  } else {
    const code = e.errcode !== undefined ? ` errcode ${e.errcode}` : '';
    const reason = e.reason !== undefined ? ` ${e.reason}` : '';
    outcome = `${e.outcome ?? (e.status !== undefined ? String(e.status) : e.msg ?? 'logged')}${reason}${code}`;
    const parts = [stepsText(e.steps), e.waitMs !== undefined ? `waited ${formatMs(e.waitMs)} in queue` : ''];
    detail = parts.filter((p) => p !== '').join('; ');
  }
  const row: Omit<TimelineRow, 'delivery'> = { layer: e.layer, start: startOf(e), end: e.end, outcome, ok: !failed, detail };
  if (e.ms !== undefined) row.ms = e.ms;
  if (e.reqId !== undefined) row.reqId = e.reqId;
  return row;
}

/** Length of the union of intervals, clipped to [lo, hi]. */
function covered(intervals: [number, number][], lo: number, hi: number): number {
  const sorted = intervals.map(([a, b]): [number, number] => [Math.max(a, lo), Math.min(b, hi)]).filter(([a, b]) => b > a).sort((x, y) => x[0] - y[0]);
  if (sorted.length === 0) return 0;
  let total = 0;
  let [curA, curB] = sorted[0]!;
  for (const [a, b] of sorted.slice(1)) {
    if (a > curB) {
      total += curB - curA;
      curA = a;
      curB = b;
    } else curB = Math.max(curB, b);
  }
  return total + (curB - curA);
}

const NEST_TOLERANCE_MS = 2;
const tenth = (ms: number): number => Math.round(ms * 10) / 10;

/** A row's own time: its duration minus what rows of other layers inside it took. */
function selfTimes(rows: TimelineRow[]): void {
  for (const row of rows) {
    if (row.ms === undefined) continue;
    let inner: [number, number][];
    if (row.layer === 'access') {
      // The receiver runs inside nginx's request, clocks permitting.
      inner = rows.filter((r) => r.layer === 'receive' && r.delivery === row.delivery).map((r) => [r.start, r.end]);
      row.selfMs = tenth(Math.max(0, row.ms - inner.reduce((s, [a, b]) => s + (b - a), 0)));
      continue;
    }
    inner = rows
      .filter((r) => r !== row && r.layer !== row.layer && r.layer !== 'access' && r.start >= row.start - NEST_TOLERANCE_MS && r.end <= row.end + NEST_TOLERANCE_MS)
      .map((r) => [r.start, r.end]);
    row.selfMs = tenth(Math.max(0, row.ms - covered(inner, row.start, row.end)));
  }
}

function laterSummary(later: LogEvent[], pushedAt: number): { failed?: LogEvent; text: string } {
  const last = new Map<Layer, LogEvent>();
  for (const e of later) last.set(e.layer, e);
  const failed = [...last.values()].find((e) => e.outcome === 'failed');
  if (failed) return { failed, text: '' };
  const send = last.get('send');
  if (send) return { text: `reply ${send.outcome ?? 'sent'} ${formatMs(send.end - pushedAt)} after the push` };
  const worker = last.get('worker') ?? last.get('handler');
  if (worker) return { text: `worker ${worker.outcome ?? 'logged'}` };
  return { text: 'no worker line yet' };
}

function outcomeOf(deliveries: DeliverySummary[], later: LogEvent[], pushedAt: number): Timeline['outcome'] {
  const ok = deliveries.find((d) => d.result === 'ok');
  const { failed, text } = laterSummary(later, pushedAt);
  if (failed) {
    const code = failed.errcode !== undefined ? `errcode ${failed.errcode}` : failed.reason ?? 'failed';
    return { kind: 'failed', layer: `${failed.layer}: ${code}`, text: `failed at ${failed.layer}: ${code}` };
  }
  if (ok || deliveries.length === 0) {
    const tries = deliveries.length > 1 ? ` on delivery ${ok?.n} of ${deliveries.length}` : '';
    const answered = ok ? `answered ${ok.text.replace(/^answered /, '')}${tries}` : 'no access or receive line';
    return { kind: 'success', text: `${answered}; ${text}` };
  }
  const lastTry = deliveries[deliveries.length - 1]!;
  const kind: MessageOutcome = lastTry.result === 'ok' ? 'success' : lastTry.result;
  const tries = deliveries.length > 1 ? ` (all ${deliveries.length} deliveries failed)` : '';
  return { kind, layer: lastTry.layer, text: `${lastTry.text}${tries}` };
}

export function buildTimeline(message: Message): Timeline {
  const rows: TimelineRow[] = [];
  const deliveries: DeliverySummary[] = message.deliveries.map((d, i) => {
    for (const e of [d.access, d.receive]) if (e) rows.push({ ...rowOf(e), delivery: i + 1 });
    const start = Math.min(...[d.access, d.receive].filter((e): e is LogEvent => !!e).map(startOf));
    const s: DeliverySummary = { ...classifyDelivery(d), n: i + 1, start };
    if (d.reqId !== undefined) s.reqId = d.reqId;
    return s;
  });
  for (const e of message.later) rows.push(rowOf(e));
  rows.sort((a, b) => a.start - b.start || (a.layer === 'access' ? -1 : b.layer === 'access' ? 1 : 0));
  selfTimes(rows);
  for (const row of rows) {
    if (SYNC_LAYERS.has(row.layer) && (row.ms ?? 0) >= WECHAT_LIMIT_MS) row.overLimit = true;
  }
  let slowest: TimelineRow | undefined;
  for (const row of rows) {
    const t = row.selfMs ?? row.ms;
    if (t !== undefined && (slowest === undefined || t > (slowest.selfMs ?? slowest.ms ?? 0))) slowest = row;
  }
  if (slowest && rows.length > 1) slowest.slowest = true;
  const tl: Timeline = {
    identity: message.identity,
    start: message.start,
    end: message.end,
    totalMs: message.end - message.start,
    rows,
    deliveries,
    outcome: outcomeOf(deliveries, message.later, message.start),
    overLimit: rows.some((r) => r.overLimit) || deliveries.some((d) => d.result === 'slow'),
  };
  if (slowest) tl.slowest = { layer: slowest.layer, ms: slowest.selfMs ?? slowest.ms ?? 0 };
  return tl;
}
