// One message's life as rows, one per layer line: when it started, how long it took, how
// it ended. Marks the slowest layer (by its own time: nginx's time minus the receiver's)
// and every row of any layer that took WeChat's 5 s or more, saying what that meant for
// WeChat: before the answer it is WeChat's timeout; after `success` the user waited, but WeChat
// did not (issue 19).
import { classifyDelivery, type DeliveryVerdict } from './classify.js';
import { NGINX_ERROR_LAYER, WECHAT_LIMIT_MS, startOf, type Layer, type LogEvent } from './event.js';
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
  /** Took WeChat's 5 s or more; `flag` says what that meant. */
  overLimit?: boolean;
  flag?: { kind: FlagKind; text: string };
}

/** wechat_timeout: WeChat waited 5 s for this answer and counted a timeout; after_ack: the work after `success` took long (the user waited, WeChat did not). */
export type FlagKind = 'wechat_timeout' | 'after_ack';

export type MessageOutcome = 'success' | 'slow' | 'rejected' | 'unreached' | 'abandoned' | 'failed' | 'pending';

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

/** How a push of reply mode passive or auto was answered (the receive line's `answer`). */
const ANSWERS: Record<string, string> = {
  passive: 'answered with the reply',
  success: 'success',
  too_late: 'success, reply too late',
  run_out: "no answer: left for WeChat's retry",
};

/** Why a push of reply mode passive or auto got `success` without a wait (the receive line's `waitSkipped`). */
const WAIT_SKIPPED: Record<string, string> = {
  spooled: 'spooled: no worker sees it in time',
  no_subscription: "the receiver's hand-over subscription is down",
  redis_not_ready: "the receiver's Redis connection is down",
};

function rowOf(e: LogEvent): Omit<TimelineRow, 'delivery'> {
  const failed = e.outcome === 'rejected' || e.outcome === 'failed' || e.outcome === 'retrying' || (e.status ?? 0) >= 400 || e.layer === NGINX_ERROR_LAYER;
  let outcome: string;
  let detail = '';
  if (e.layer === 'access') {
    outcome = e.status === undefined ? '?' : e.status === 499 ? '499 WeChat closed the connection' : String(e.status);
    detail = accessDetail(e);
  } else if (e.layer === NGINX_ERROR_LAYER) {
    outcome = e.code ?? 'error';
    detail = e.msg ?? '';
  } else {
    const code = e.errcode !== undefined ? ` errcode ${e.errcode}` : '';
    const reason = e.reason !== undefined ? ` ${e.reason}` : '';
    // A failed send without an errcode: the HTTP status or network error is in code/errmsg.
    const why = e.errcode === undefined && e.code !== undefined ? ` ${e.code}${e.errmsg ? ` (${e.errmsg})` : ''}` : '';
    outcome = `${e.outcome ?? (e.status !== undefined ? String(e.status) : e.msg ?? 'logged')}${reason}${code}${why}${e.answer !== undefined ? `, ${ANSWERS[e.answer] ?? e.answer}` : ''}${e.waitSkipped !== undefined ? ` at once (${WAIT_SKIPPED[e.waitSkipped] ?? e.waitSkipped})` : ''}`;
    const parts = [
      e.attempt !== undefined && e.layer === 'send' ? `attempt ${e.attempt}` : '',
      stepsText(e.steps),
      e.waitMs !== undefined ? `waited ${formatMs(e.waitMs)} in queue` : '',
      e.replyWaitMs !== undefined ? `waited ${formatMs(e.replyWaitMs)} for the reply${e.handOverMs !== undefined ? ` (hand-over ${formatMs(e.handOverMs)})` : ''}` : '',
      e.handlerMs !== undefined ? `handler ${formatMs(e.handlerMs)}` : '',
    ];
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
/** The code of a reply held after its worker died mid-send (worker/worker-errors.ts, SendOutcomeUnknownError). */
const SEND_OUTCOME_UNKNOWN = 'send_outcome_unknown';
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

/** The client's own line for an HTTP call ("wechat api call failed"): the send line after it says the same with the job's attempt. */
const isClientLine = (e: LogEvent): boolean => e.layer === 'send' && e.outcome === undefined && /^wechat api call/.test(e.msg ?? '');

/** Drops the client's duplicate of a send line (same job, logged in the same few ms), keeping its code. */
export function foldClientLines(later: LogEvent[]): LogEvent[] {
  return later.filter((e) => {
    if (!isClientLine(e)) return true;
    const twin = later.find((o) => o !== e && o.layer === 'send' && o.outcome !== undefined && o.jobId === e.jobId && Math.abs(o.end - e.end) <= 50);
    if (!twin) return true;
    twin.code ??= e.code;
    return false;
  });
}

interface LaterSummary {
  failed?: LogEvent;
  pending?: LogEvent;
  text: string;
}

/** Each reply job's last send line decides that reply: sent, failed, or still retrying. */
function laterSummary(later: LogEvent[], pushedAt: number): LaterSummary {
  const byLayer = new Map<Layer, LogEvent>();
  const byJob = new Map<string, LogEvent>();
  for (const e of [...later].sort((a, b) => a.end - b.end)) {
    if (e.outcome === undefined) continue;
    byLayer.set(e.layer, e);
    if (e.layer === 'send') byJob.set(e.jobId ?? `#${byJob.size}`, e);
  }
  const sends = [...byJob.values()];
  const failed = sends.find((e) => e.outcome === 'failed' || e.outcome === 'refused') ?? [...byLayer.values()].find((e) => e.outcome === 'failed');
  if (failed) return { failed, text: '' };
  const pending = sends.find((e) => e.outcome === 'retrying');
  if (pending) return { pending, text: `reply not sent yet: attempt ${pending.attempt ?? '?'} failed (${pending.errcode !== undefined ? `errcode ${pending.errcode}` : pending.code ?? 'error'}), retrying` };
  // already_sent: a run after a crash found WeChat's acceptance recorded (the sending run's own
  // line may be the one the kill cut): the reply was sent.
  const sent = sends.filter((e) => e.outcome === 'sent' || e.outcome === 'already_sent');
  if (sent.length > 0) {
    const last = sent[sent.length - 1]!;
    return { text: `${sent.length === 1 ? 'reply' : `${sent.length} replies`} sent ${formatMs(last.end - pushedAt)} after the push` };
  }
  if (sends.length > 0) return { text: `reply ${sends[sends.length - 1]!.outcome}` };
  const worker = byLayer.get('worker') ?? byLayer.get('handler');
  if (worker) return { text: `worker ${worker.outcome ?? 'logged'}` };
  return { text: 'no worker line yet' };
}

function failureText(e: LogEvent): string {
  if (e.errcode !== undefined) return `errcode ${e.errcode}${e.errmsg ? ` (${e.errmsg})` : ''}`;
  if (e.code !== undefined) return `${e.code}${e.errmsg ? ` (${e.errmsg})` : ''}`;
  return e.reason ?? 'failed';
}

function outcomeOf(deliveries: DeliverySummary[], later: LogEvent[], pushedAt: number): Timeline['outcome'] {
  const ok = deliveries.find((d) => d.result === 'ok');
  const { failed, pending, text } = laterSummary(later, pushedAt);
  if (failed?.code === SEND_OUTCOME_UNKNOWN) {
    // Not a failure WeChat answered: the user may have the reply (docs/replies-and-token.md).
    const retry = failed.jobId ? `wxgate dlq retry outbound ${failed.jobId}` : 'wxgate dlq retry';
    return { kind: 'failed', layer: `send: ${SEND_OUTCOME_UNKNOWN}`, text: `reply outcome unknown: a worker died with its send in flight, so WeChat may have it; held, not sent again (${retry} sends it)` };
  }
  if (failed) {
    const code = failureText(failed);
    const tries = failed.attempt !== undefined ? ` after ${failed.attempt} attempt${failed.attempt === 1 ? '' : 's'}` : '';
    return { kind: 'failed', layer: `${failed.layer}: ${code}`, text: `failed at ${failed.layer}: ${code}${tries}` };
  }
  if (ok || deliveries.length === 0) {
    const tries = deliveries.length > 1 ? ` on delivery ${ok?.n} of ${deliveries.length}` : '';
    const answered = ok ? `answered ${ok.text.replace(/^answered /, '')}${tries}` : 'no access or receive line';
    return { kind: pending ? 'pending' : 'success', text: `${answered}; ${text}` };
  }
  const lastTry = deliveries[deliveries.length - 1]!;
  const kind: MessageOutcome = lastTry.result === 'ok' ? 'success' : lastTry.result;
  const tries = deliveries.length > 1 ? ` (all ${deliveries.length} deliveries failed)` : '';
  return { kind, layer: lastTry.layer, text: `${lastTry.text}${tries}` };
}

const SYNC_LAYERS = new Set<Layer>(['access', 'receive']);

/** Every row that took 5 s or more, with what it meant for WeChat. */
function flagRows(rows: TimelineRow[]): void {
  for (const row of rows) {
    const ms = row.ms ?? 0;
    if (ms < WECHAT_LIMIT_MS) continue;
    row.overLimit = true;
    row.flag = SYNC_LAYERS.has(row.layer)
      ? { kind: 'wechat_timeout', text: 'over 5 s before the answer: WeChat timed out and retried' }
      : { kind: 'after_ack', text: 'over 5 s after success: the user waited for the reply; not a WeChat timeout' };
  }
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
  message.deliveries.forEach((d, i) => {
    for (const e of d.errors ?? []) rows.push({ ...rowOf(e), delivery: i + 1 });
  });
  const later = foldClientLines(message.later);
  for (const e of later) rows.push(rowOf(e));
  rows.sort((a, b) => a.start - b.start || (a.layer === 'access' ? -1 : b.layer === 'access' ? 1 : 0));
  selfTimes(rows);
  flagRows(rows);
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
    outcome: outcomeOf(deliveries, later, message.start),
    overLimit: rows.some((r) => r.flag?.kind === 'wechat_timeout') || deliveries.some((d) => d.result === 'slow'),
  };
  if (slowest) tl.slowest = { layer: slowest.layer, ms: slowest.selfMs ?? slowest.ms ?? 0 };
  return tl;
}
