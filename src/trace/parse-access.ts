// nginx access lines to LogEvents: the JSON `wxgate` log_format (nginx/nginx.conf) and, for
// logs kept as text, "combined" with $request_time (and optionally $request_id) appended.
// WeChat's push URL carries openid and timestamp in the query string, so $request gives
// both even when the push never reached a receiver.
import type { AccessDetail, LogEvent } from './event.js';
import { num, str, type Json } from './parse-wxgate.js';
import { parseTimeLocal } from './time.js';

/** "0.001, 0.009" or "a:1, b:2" (one per receiver tried; " : " after an internal redirect). */
export function splitList(v: unknown): string[] {
  const s = typeof v === 'number' ? String(v) : typeof v === 'string' ? v.trim() : '';
  if (s === '' || s === '-') return [];
  return s.split(/\s*,\s*|\s+:\s+/).filter((x) => x !== '');
}

function sumSeconds(v: unknown): number | undefined {
  const parts = splitList(v).map(Number).filter((n) => Number.isFinite(n));
  if (parts.length === 0) return undefined;
  return Math.round(parts.reduce((a, b) => a + b, 0) * 1000);
}

interface RequestParts {
  method?: string;
  path?: string;
  query: URLSearchParams;
}

/** "POST /wechat/wx123?openid=o…&timestamp=… HTTP/1.1" */
export function parseRequest(request: string | undefined): RequestParts {
  if (request === undefined) return { query: new URLSearchParams() };
  const [method, target = ''] = request.split(' ');
  const q = target.indexOf('?');
  const path = q < 0 ? target : target.slice(0, q);
  const query = new URLSearchParams(q < 0 ? '' : target.slice(q + 1));
  return { method, path: path === '' ? undefined : path, query };
}

/** POST /wechat/:appid names the account in multi-account mode. */
function appidFromPath(path: string | undefined): string | undefined {
  const m = path === undefined ? null : /^\/wechat\/([^/?]+)/.exec(path);
  return m ? decodeURIComponent(m[1]!) : undefined;
}

/** "+0800" at the end of $time_local, as ms east of UTC. */
function zoneOf(timeLocal: string | undefined): number | undefined {
  const m = timeLocal === undefined ? null : /([+-])(\d{2})(\d{2})$/.exec(timeLocal);
  return m ? (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 3600_000 + Number(m[3]) * 60_000) : undefined;
}

interface AccessFields {
  end: number;
  timeLocal?: string;
  requestTime?: unknown;
  request?: string;
  status?: unknown;
  reqId?: string;
  remoteAddr?: string;
  serverAddr?: string;
  bodyBytes?: unknown;
  upstreamAddr?: unknown;
  upstreamStatus?: unknown;
  upstreamResponseTime?: unknown;
  upstreamConnectTime?: unknown;
}

function toEvent(f: AccessFields): LogEvent {
  const { method, path, query } = parseRequest(f.request);
  const rt = num(f.requestTime);
  const access: AccessDetail = {
    upstreamAddrs: splitList(f.upstreamAddr),
    upstreamStatuses: splitList(f.upstreamStatus).map((s) => num(s)),
  };
  const set = <K extends keyof AccessDetail>(k: K, v: AccessDetail[K] | undefined): void => {
    if (v !== undefined) access[k] = v;
  };
  set('remoteAddr', f.remoteAddr);
  set('serverAddr', f.serverAddr);
  set('method', method);
  set('path', path);
  set('pushTs', num(query.get('timestamp') ?? undefined));
  set('nonce', query.get('nonce') ?? undefined);
  set('zoneOffsetMs', zoneOf(f.timeLocal));
  set('upstreamMs', sumSeconds(f.upstreamResponseTime));
  set('upstreamConnectMs', sumSeconds(f.upstreamConnectTime));
  set('bodyBytes', num(f.bodyBytes));
  const e: LogEvent = { layer: 'access', end: f.end, access };
  if (rt !== undefined) e.ms = Math.round(rt * 1000);
  const status = num(f.status);
  if (status !== undefined) e.status = status;
  const openid = query.get('openid');
  if (openid) e.openid = openid;
  const appid = appidFromPath(path);
  if (appid) e.appid = appid;
  if (f.reqId) e.reqId = f.reqId;
  return e;
}

/** A line written with `log_format wxgate escape=json` (or any JSON with the same keys). */
export function parseAccessJson(o: Json): LogEvent | undefined {
  const msec = num(o.msec);
  const end = msec !== undefined ? Math.round(msec * 1000) : parseTimeLocal(str(o.time_local) ?? '');
  if (end === undefined) return undefined;
  return toEvent({
    end,
    timeLocal: str(o.time_local),
    requestTime: o.request_time,
    request: str(o.request),
    status: o.status,
    reqId: str(o.reqId) ?? str(o.request_id),
    remoteAddr: str(o.remote_addr),
    serverAddr: str(o.server_addr),
    bodyBytes: o.body_bytes_sent,
    upstreamAddr: o.upstream_addr,
    upstreamStatus: o.upstream_status,
    upstreamResponseTime: o.upstream_response_time,
    upstreamConnectTime: o.upstream_connect_time,
  });
}

// $remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent ["$http_referer" "$http_user_agent"] …
const COMBINED = /^(\S+) \S+ \S+ \[([^\]]+)\] "([^"]*)" (\d{3}) (\d+|-)(?: "[^"]*" "[^"]*")?(.*)$/;
// key=value pairs after the known fields; a value may be a list ("0.001, 0.009").
const TAIL_KV = /(?:^|\s)([a-z_]+)=((?:[^\s,]+)(?:,\s*[^\s,=]+)*)/gi;
const TAIL_NAMES: Record<string, keyof AccessFields> = {
  rt: 'requestTime', request_time: 'requestTime',
  urt: 'upstreamResponseTime', upstream_response_time: 'upstreamResponseTime',
  uct: 'upstreamConnectTime', upstream_connect_time: 'upstreamConnectTime',
  ua: 'upstreamAddr', upstream_addr: 'upstreamAddr',
  us: 'upstreamStatus', upstream_status: 'upstreamStatus',
  rid: 'reqId', reqid: 'reqId', request_id: 'reqId',
};

/**
 * "combined" plus what follows it: the first bare number is $request_time, a bare 32-hex
 * token is $request_id, and key=value pairs (rt=, urt=, ua=, us=, rid=, …) are read by name.
 */
export function parseAccessText(line: string): LogEvent | undefined {
  const m = COMBINED.exec(line);
  if (!m) return undefined;
  const [, remoteAddr, timeLocal, request, status, bytes, tail = ''] = m;
  const end = parseTimeLocal(timeLocal!);
  if (end === undefined) return undefined;
  const f: AccessFields = { end, timeLocal, request, status, bodyBytes: bytes, remoteAddr };
  const rest = tail.replace(TAIL_KV, (_all, key: string, value: string) => {
    const name = TAIL_NAMES[key.toLowerCase()];
    if (name !== undefined) (f as unknown as Record<string, unknown>)[name] = value;
    return ' ';
  });
  for (const token of rest.split(/\s+/)) {
    if (f.requestTime === undefined && /^\d+(\.\d+)?$/.test(token)) f.requestTime = token;
    else if (f.reqId === undefined && /^[0-9a-f]{32}$/.test(token)) f.reqId = token;
  }
  return toEvent(f);
}
