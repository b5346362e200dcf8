// A wxgate pino line (already JSON.parse'd) to a LogEvent. Lenient about types: a field that
// is a numeric string is taken as the number, a field of the wrong kind is left out.
import { PROCESS_LAYER, type LogEvent } from './event.js';
import { knownProcessLine } from './process-lines.js';

export type Json = Record<string, unknown>;

export function str(v: unknown): string | undefined {
  if (typeof v === 'string') return v === '' ? undefined : v;
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  return undefined;
}

const INTERNED = new Map<string, string>();
/**
 * One copy of the values that repeat on every line (appid, layer, msg, outcome, addresses):
 * JSON.parse makes a new string each time, and an alert's window keeps tens of thousands of lines.
 */
export function intern(v: string | undefined): string | undefined {
  if (v === undefined || v.length > 64) return v;
  const known = INTERNED.get(v);
  if (known !== undefined) return known;
  if (INTERNED.size < 10_000) INTERNED.set(v, v);
  return v;
}

export function num(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined;
  if (typeof v === 'string' && v.trim() !== '' && v !== '-') {
    const n = Number(v);
    return Number.isFinite(n) ? n : undefined;
  }
  return undefined;
}

function steps(v: unknown): Record<string, number> | undefined {
  if (!v || typeof v !== 'object' || Array.isArray(v)) return undefined;
  const out: Record<string, number> = {};
  for (const [k, x] of Object.entries(v as Json)) {
    const n = num(x);
    if (n !== undefined) out[k] = n;
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

/** pino writes epoch ms (our logger) or, configured otherwise, an ISO string. */
function timeOf(v: unknown): number | undefined {
  const n = num(v);
  if (n !== undefined) return n < 1e11 ? Math.round(n * 1000) : n;
  if (typeof v === 'string') {
    const t = Date.parse(v);
    return Number.isNaN(t) ? undefined : t;
  }
  return undefined;
}

/**
 * undefined when the object is not a wxgate line: no time, or neither a layer nor a known
 * process message ("stopping" is logged without one).
 */
export function parseWxgate(o: Json): LogEvent | undefined {
  const end = timeOf(o.time);
  const known = knownProcessLine(str(o.msg), str(o.code));
  const layer = intern(str(o.layer)) ?? (known ? PROCESS_LAYER : undefined);
  if (layer === undefined || end === undefined) return undefined;
  const e: LogEvent = { layer, end };
  if (known) e.life = known.kind;
  const set = <K extends keyof LogEvent>(k: K, v: LogEvent[K] | undefined): void => {
    if (v !== undefined) e[k] = v;
  };
  set('ms', num(o.ms));
  set('appid', intern(str(o.appid)));
  set('openid', str(o.openid));
  set('stamp', num(o.stamp));
  set('msgType', intern(str(o.msgType)));
  set('event', intern(str(o.event)));
  set('msgId', str(o.msgId));
  set('dedupKey', str(o.dedupKey));
  set('reqId', str(o.reqId));
  set('status', num(o.status));
  set('outcome', intern(str(o.outcome)));
  set('reason', intern(str(o.reason)));
  set('errcode', num(o.errcode));
  set('campaignId', str(o.campaignId));
  set('waitMs', num(o.waitMs));
  set('answer', intern(str(o.answer)));
  set('waitSkipped', intern(str(o.waitSkipped)));
  set('replyWaitMs', num(o.replyWaitMs));
  set('handOverMs', num(o.handOverMs));
  set('steps', steps(o.steps));
  set('msg', intern(str(o.msg)));
  set('code', intern(str(o.code)));
  set('errmsg', str(o.errmsg));
  set('attempt', num(o.attempt));
  set('jobId', str(o.jobId));
  set('pid', num(o.pid));
  set('handlerMs', num(o.handlerMs));
  if (Array.isArray(o.apps)) set('apps', o.apps.filter((a): a is string => typeof a === 'string'));
  return e;
}
