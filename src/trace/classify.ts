// What WeChat saw for one delivery, and which layer is to blame when it was not `success`
// within 5 s. Layer names are stable (tests and `alert --json` rely on them):
//   access/network               nginx took long but the receiver did not (client side,
//                                network, nginx queueing, connecting to the receiver)
//   receive: <step>              the receiver itself was slow; <step> is its slowest step
//                                (verify, decrypt, parse, enqueue, spool)
//   receive: <reason>            the receiver refused the push (signature_mismatch, …)
//   access: HTTP <status> (<why>) nginx refused it without asking a receiver (413, 403, …)
//   access: upstream unreachable nginx found no receiver to answer (502/503/504)
//   network/DNS/connection       nothing in our logs: the push never reached nginx
import type { Delivery } from './group.js';
import { WECHAT_LIMIT_MS, type LogEvent } from './event.js';
import { formatMs } from './time.js';

export type DeliveryResult = 'ok' | 'slow' | 'rejected' | 'unreached';

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
  // 499: WeChat hung up before nginx answered, which it does at 5 s.
  if ((answerMs !== undefined && answerMs >= WECHAT_LIMIT_MS) || status === 499) {
    const { layer, text } = slowLayer(d, answerMs ?? WECHAT_LIMIT_MS);
    return { ...base, result: 'slow', layer, text: `no answer within 5 s: ${text}` };
  }
  if (r && (r.outcome === 'rejected' || (r.status ?? 200) >= 400)) {
    const reason = r.reason ?? `HTTP ${r.status}`;
    return { ...base, result: 'rejected', layer: `receive: ${reason}`, reason, text: `refused by the receiver: ${reason} (${r.status ?? '?'})` };
  }
  if (a && !r && a.status !== undefined && a.status >= 400) {
    if (isUnreached(a)) {
      const tried = a.access?.upstreamAddrs.join(', ') || 'no receiver';
      return { ...base, result: 'unreached', layer: 'access: upstream unreachable', reason: `HTTP ${a.status}`, text: `nginx answered ${a.status}: ${tried} did not answer` };
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
