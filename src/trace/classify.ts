// What WeChat saw for one delivery, and which layer is to blame when it was not `success`
// within 5 s. Layer names are stable (tests and `alert --json` rely on them):
//   access/network               nginx took long but the receiver did not (client side,
//                                network, nginx queueing, connecting to the receiver)
//   receive: <step>              the receiver itself was slow; <step> is its slowest step
//                                (verify, decrypt, parse, enqueue, spool)
//   receive: <reason>            the receiver refused the push (signature_mismatch, …)
//   access: HTTP <status> (<why>) nginx refused it without asking a receiver (413, 403, …)
//   access: upstream unreachable nginx found no receiver to answer (502/503/504)
//   receive: stalled             the receiver started on the push long after nginx passed it on:
//                                its process was not running (event loop blocked, GC, SIGSTOP,
//                                CPU starvation); nginx gave up on it (504) or WeChat did
//   access: stalled              the receiver answered at once, nginx passed the answer on
//                                seconds later (nginx itself was not running)
//   access: read late            WeChat had closed the connection (499) before nginx read the
//                                request: nginx stalled, its accept queue was full, or the network
//   network/DNS/connection       nothing in our logs: the push never reached nginx
import type { Delivery } from './group.js';
import { WECHAT_LIMIT_MS, type LogEvent } from './event.js';
import { formatMs } from './time.js';

/** abandoned: WeChat closed the connection before nginx answered (nginx's 499). */
export type DeliveryResult = 'ok' | 'slow' | 'rejected' | 'unreached' | 'abandoned';

export interface DeliveryVerdict {
  result: DeliveryResult;
  /** How long WeChat waited: nginx's request time, or the receiver's when there is no nginx line. */
  answerMs?: number;
  status?: number;
  /** The layer at fault; undefined when result is ok. */
  layer?: string;
  /** Error code or HTTP meaning, when there is one. */
  reason?: string;
  text: string;
}

export const NETWORK_LAYER = 'network/DNS/connection';
export const STALLED_RECEIVER_LAYER = 'receive: stalled';
export const STALLED_NGINX_LAYER = 'access: stalled';
export const READ_LATE_LAYER = 'access: read late';
/**
 * A receiver starts on a push within milliseconds of nginx passing it on; a second or more
 * between the two means the process was not running (issue 19: 6.7 s under SIGSTOP).
 */
export const STALL_MS = 1000;
export const ACCESS_NETWORK_LAYER = 'access/network';

/** Why nginx itself answers with these statuses (nginx/nginx.conf). */
const NGINX_STATUS_REASON: Record<number, string> = {
  400: 'bad_request',
  403: 'denied',
  404: 'not_found',
  405: 'method_not_allowed',
  408: 'client_timeout',
  413: 'body_too_large',
  414: 'uri_too_long',
  499: 'client_closed',
};

/** The step that took longest, e.g. "enqueue". */
export function slowestStep(steps: Record<string, number> | undefined): string | undefined {
  if (!steps) return undefined;
  let best: string | undefined;
  let bestMs = -1;
  for (const [name, ms] of Object.entries(steps)) {
    if (ms > bestMs) {
      best = name;
      bestMs = ms;
    }
  }
  return best;
}

function slowLayer(d: Delivery, answerMs: number): { layer: string; text: string } {
  const r = d.receive;
  if (r?.ms !== undefined && r.ms >= answerMs / 2) {
    const step = slowestStep(r.steps);
    const stepText = step ? `, ${step} ${formatMs(r.steps![step])}` : '';
    return { layer: step ? `receive: ${step}` : 'receive', text: `the receiver took ${formatMs(r.ms)}${stepText}` };
  }
  const upstream = d.access?.access?.upstreamMs;
  const inside = r?.ms !== undefined ? ` of which the receiver ${formatMs(r.ms)}` : '';
  const where =
    upstream !== undefined && upstream >= answerMs / 2
      ? `waiting on the receiver connection (upstream ${formatMs(upstream)}${inside})`
      : `outside the receiver (upstream ${formatMs(upstream)}${inside}): reading the request or writing the answer`;
  return { layer: ACCESS_NETWORK_LAYER, text: `nginx spent ${formatMs(answerMs)} ${where}` };
}

/**
 * How long nginx waited on the receiver beyond the receiver's own time, when the receiver also
 * started late: nginx had passed the push on and the receiver's process was not running. (A
 * late start alone may be nginx still reading a slow body; then upstream time is short.)
 */
export function receiverLagMs(d: Delivery): number | undefined {
  if (!d.access || !d.receive || d.receive.ms === undefined) return undefined;
  const startLag = d.receive.end - d.receive.ms - (d.access.end - (d.access.ms ?? 0));
  const upstream = d.access.access?.upstreamMs;
  const waited = upstream === undefined ? startLag : upstream - d.receive.ms;
  return Math.min(startLag, waited);
}

/** How long after the receiver answered nginx logged its answer. */
function nginxLagMs(d: Delivery): number | undefined {
  if (!d.access || !d.receive) return undefined;
  return d.access.end - d.receive.end;
}

function stalled(d: Delivery, base: Pick<DeliveryVerdict, 'answerMs' | 'status'>, result: DeliveryResult): DeliveryVerdict | undefined {
  const lag = receiverLagMs(d);
  const startLag = d.access && d.receive ? d.receive.end - (d.receive.ms ?? 0) - (d.access.end - (d.access.ms ?? 0)) : undefined;
  const nginxSaid = base.status === 504 ? 'nginx gave up on it (504)' : base.status === 499 ? 'WeChat closed the connection (499)' : `the answer took ${formatMs(base.answerMs)}`;
  if (lag !== undefined && lag >= STALL_MS) {
    return { ...base, result, layer: STALLED_RECEIVER_LAYER, reason: 'receiver_stalled', text: `the receiver started on it ${formatMs(startLag)} after nginx passed it on, then took ${formatMs(d.receive!.ms)}: its process was not running (event loop blocked, GC pause, SIGSTOP, CPU starvation); ${nginxSaid}` };
  }
  // nginx's upstream timer ran on after the receiver had answered: nginx did not read the answer.
  const late = nginxLagMs(d);
  const upstreamWait = (d.access?.access?.upstreamMs ?? 0) - (d.receive?.ms ?? 0);
  if (late !== undefined && late >= STALL_MS && upstreamWait >= STALL_MS) {
    return { ...base, result, layer: STALLED_NGINX_LAYER, reason: 'nginx_stalled', text: `the receiver answered in ${formatMs(d.receive!.ms)} but nginx logged the answer ${formatMs(late)} later: nginx itself was not running (stopped, swapping, CPU starvation); ${nginxSaid}` };
  }
  return undefined;
}

function isUnreached(a: LogEvent): boolean {
  const statuses = a.access?.upstreamStatuses ?? [];
  const last = statuses[statuses.length - 1];
  if (a.status === 502 || a.status === 503 || a.status === 504) return true;
  return (a.access?.upstreamAddrs.length ?? 0) > 0 && (last === undefined || last >= 502);
}

export function classifyDelivery(d: Delivery): DeliveryVerdict {
  const a = d.access;
  const r = d.receive;
  const answerMs = a?.ms ?? r?.ms;
  const status = a?.status ?? r?.status;
  const base = { answerMs, status };
  // Retry mode (WXGATE_PASSIVE_USE_RETRIES): the receiver left the delivery unanswered on purpose
  // so that WeChat delivers the push again for its reply (docs/passive-replies.md).
  if (r?.answer === 'run_out') {
    return { ...base, result: 'slow', layer: 'receive: passive retry mode', reason: 'run_out', text: `left unanswered on purpose (WXGATE_PASSIVE_USE_RETRIES=1): the reply was not ready after ${formatMs(r.replyWaitMs)}, so WeChat delivers the push again and counts a timeout` };
  }
  // 499: WeChat hung up before nginx answered, which it does at 5 s.
  if (status === 499) {
    const s = stalled(d, base, 'abandoned');
    if (s) return s;
    if ((a?.ms ?? 0) < WECHAT_LIMIT_MS - STALL_MS && !r) {
      return { ...base, result: 'abandoned', layer: READ_LATE_LAYER, reason: 'client_closed', text: `WeChat closed the connection before nginx answered (499), ${formatMs(a?.ms)} after nginx read the request: WeChat had waited before nginx read it (nginx stalled, its accept queue full, or the network)` };
    }
    const { layer, text } = slowLayer(d, answerMs ?? WECHAT_LIMIT_MS);
    return { ...base, result: 'abandoned', layer, reason: 'client_closed', text: `WeChat closed the connection (499): ${text}` };
  }
  if ((answerMs !== undefined && answerMs >= WECHAT_LIMIT_MS) || (status === 504 && r)) {
    const s = stalled(d, base, status === 504 ? 'unreached' : 'slow');
    if (s) return s;
  }
  if (status === 504 && r?.ms !== undefined && r.ms >= (a?.access?.upstreamMs ?? a?.ms ?? 0)) {
    // The receiver was still working when nginx's proxy_read_timeout ran out.
    const step = slowestStep(r.steps);
    const stepText = step ? ` (${step} ${formatMs(r.steps![step])})` : '';
    return { ...base, result: 'unreached', layer: step ? `receive: ${step}` : 'receive', reason: 'HTTP 504', text: `the receiver took ${formatMs(r.ms)}${stepText}, longer than nginx waits for it (${formatMs(a?.access?.upstreamMs)}): nginx answered 504` };
  }
  if (answerMs !== undefined && answerMs >= WECHAT_LIMIT_MS) {
    const { layer, text } = slowLayer(d, answerMs);
    return { ...base, result: 'slow', layer, text: `no answer within 5 s: ${text}` };
  }
  if (r && (r.outcome === 'rejected' || (r.status ?? 200) >= 400)) {
    const reason = r.reason ?? `HTTP ${r.status}`;
    return { ...base, result: 'rejected', layer: `receive: ${reason}`, reason, text: `refused by the receiver: ${reason} (${r.status ?? '?'})` };
  }
  if (a && !r && a.status !== undefined && a.status >= 400) {
    if (isUnreached(a)) {
      const tried = a.access?.upstreamAddrs.join(', ') || 'no receiver';
      const why = d.errors?.[0]?.msg ?? (a.status === 504 ? `no answer within nginx's proxy_read_timeout (${formatMs(a.access?.upstreamMs)})` : a.status === 502 ? 'connection refused or reset' : 'no receiver available');
      return { ...base, result: 'unreached', layer: 'access: upstream unreachable', reason: `HTTP ${a.status}`, text: `nginx answered ${a.status}: ${tried} did not answer (${why})` };
    }
    const why = NGINX_STATUS_REASON[a.status] ?? 'nginx';
    return { ...base, result: 'rejected', layer: `access: HTTP ${a.status} (${why})`, reason: why, text: `refused by nginx: ${a.status} ${why}` };
  }
  if (a && a.status !== undefined && a.status >= 400) {
    return { ...base, result: 'rejected', layer: `access: HTTP ${a.status}`, reason: `HTTP ${a.status}`, text: `nginx answered ${a.status} although the receiver logged ${r?.outcome ?? 'a line'}` };
  }
  const took = answerMs === undefined ? '' : ` in ${formatMs(answerMs)}`;
  return { ...base, result: 'ok', text: `answered${took}${r ? ` (${r.outcome ?? 'ok'})` : ''}` };
}
