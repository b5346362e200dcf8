// What else the logs say about the alert's window: wxgate's own process lines (starts, stops,
// Redis state; process-lines.ts) and nginx's error log, so a verdict can say "wxgate was
// restarting 14:16:40–14:17:01" or "nginx: 204 × connection refused".
import { NGINX_ERROR_LAYER, type LogEvent } from './event.js';
import { KNOWN_PROCESS_LINES, type ProcessKind } from './process-lines.js';
import { formatBeijing } from './time.js';

export interface ProcessEvent {
  time: number;
  kind: ProcessKind;
  pid?: number;
  says: string;
}

export interface Restart {
  /** The stop line (or the old process's last line, when it logged no stop), and the new start. */
  from: number;
  to?: number;
  oldPid?: number;
  newPid?: number;
  /** The old process logged no stop: it died (kill -9, OOM, crash). */
  died: boolean;
  text: string;
}

export interface NginxErrorSummary {
  code: string;
  says: string;
  count: number;
  first: number;
  last: number;
}

export interface AlertContext {
  process: ProcessEvent[];
  restarts: Restart[];
  redis: ProcessEvent[];
  nginxErrors: NginxErrorSummary[];
}

const clock = (ms: number): string => formatBeijing(ms, { date: false, millis: false });

function restartsOf(process: ProcessEvent[], lastSeen: Map<number, number>): Restart[] {
  const out: Restart[] = [];
  let stop: ProcessEvent | undefined;
  let running: number | undefined;
  for (const e of process) {
    if (e.kind === 'stop') {
      stop ??= e;
      continue;
    }
    if (e.kind !== 'start' || e.pid === undefined || e.pid === running) continue;
    if (running !== undefined || stop) {
      const died = !stop;
      const from = stop?.time ?? lastSeen.get(running!) ?? e.time;
      const oldPid = stop?.pid ?? running;
      const how = died ? `pid ${oldPid} logged no stop (it died), last line ${clock(from)}` : `stopping ${clock(from)}`;
      out.push({ from, to: e.time, ...(oldPid !== undefined ? { oldPid } : {}), newPid: e.pid, died, text: `wxgate was ${died ? 'down' : 'restarting'} ${clock(from)}–${clock(e.time)} (${how}; pid ${e.pid} listening ${clock(e.time)})` });
    }
    running = e.pid;
    stop = undefined;
  }
  if (stop) out.push({ from: stop.time, ...(stop.pid !== undefined ? { oldPid: stop.pid } : {}), died: false, text: `wxgate stopped at ${clock(stop.time)} and no start follows in these logs` });
  return out;
}

/** events: the process lines and nginx error lines read around the window (scan's `around`). */
export function contextOf(events: LogEvent[]): AlertContext {
  const says = new Map(KNOWN_PROCESS_LINES.map((k) => [k.kind + (k.msg ?? k.code), k.says]));
  const lastSeen = new Map<number, number>();
  const all: ProcessEvent[] = [];
  for (const e of [...events].sort((a, b) => a.end - b.end)) {
    if (e.pid !== undefined && e.layer !== NGINX_ERROR_LAYER) lastSeen.set(e.pid, Math.max(lastSeen.get(e.pid) ?? 0, e.end));
    if (e.life === undefined) continue;
    const k = e.life as ProcessKind;
    const say = says.get(k + (e.msg ?? '')) ?? says.get(k + (e.code ?? '')) ?? e.msg ?? k;
    all.push({ time: e.end, kind: k, ...(e.pid !== undefined ? { pid: e.pid } : {}), says: say });
  }
  // One start per process (receiver listening and workers running are both "start").
  const process = all.filter((e, i) => !(e.kind === 'start' && all.slice(0, i).some((o) => o.kind === 'start' && o.pid === e.pid)));
  const byCode = new Map<string, NginxErrorSummary>();
  for (const e of events) {
    if (e.layer !== NGINX_ERROR_LAYER || !e.code) continue;
    const s = byCode.get(e.code);
    if (!s) byCode.set(e.code, { code: e.code, says: e.msg ?? e.code, count: 1, first: e.end, last: e.end });
    else {
      s.count++;
      s.first = Math.min(s.first, e.end);
      s.last = Math.max(s.last, e.end);
    }
  }
  return {
    process,
    restarts: restartsOf(process, lastSeen),
    redis: all.filter((e) => e.kind.startsWith('redis')),
    nginxErrors: [...byCode.values()].sort((a, b) => b.count - a.count),
  };
}

/** Sentences for the verdict: what overlaps the window. */
export function contextSentences(c: AlertContext, window: { from: number; to: number }): string[] {
  const overlaps = (a: number, b: number): boolean => a <= window.to && b >= window.from;
  const out = c.restarts.filter((r) => overlaps(r.from, r.to ?? window.to)).map((r) => r.text);
  for (const r of c.redis.filter((e) => overlaps(e.time, e.time))) out.push(`${r.says} at ${clock(r.time)}${r.pid !== undefined ? ` (pid ${r.pid})` : ''}`);
  for (const n of c.nginxErrors.filter((e) => overlaps(e.first, e.last))) out.push(`nginx's error log: ${n.count} × ${n.says}, ${clock(n.first)}–${clock(n.last)}`);
  return out;
}
