// nginx's error log: the lines that say why a push got no receiver — upstream timeouts,
// refused connections, no live upstreams, closed connections — with the push they were about
// (nginx writes the request line, so openid, timestamp and nonce are there). nginx writes its
// local time without a zone: the time is kept as a wall clock (wallMs) until the access log's
// $time_local tells the zone (scan.ts), Beijing time until then.
//   2026/12/03 07:44:22 [error] 21198#21198: *2 upstream timed out (110: Connection timed out) while reading response header from upstream, client: …, request: "POST /wechat?… HTTP/1.1", upstream: "http://127.0.0.1:3000/wechat?…", host: "…"
import { BEIJING_OFFSET_MS } from './time.js';
import { NGINX_ERROR_LAYER, type LogEvent } from './event.js';
import { parseRequest } from './parse-access.js';

/** What nginx said, by a phrase of its message: one list. */
export const NGINX_ERRORS: readonly { kind: string; phrase: RegExp; says: string }[] = [
  { kind: 'upstream_timeout', phrase: /upstream timed out/, says: 'upstream timed out (the receiver did not answer in time)' },
  { kind: 'upstream_refused', phrase: /connect\(\) failed \(111: Connection refused\)/, says: 'connection refused (no receiver listening)' },
  { kind: 'upstream_unreachable', phrase: /connect\(\) failed|no route to host|Network is unreachable/i, says: 'could not connect to the receiver' },
  { kind: 'no_live_upstreams', phrase: /no live upstreams/, says: 'no live upstreams (every receiver marked failed)' },
  { kind: 'upstream_closed', phrase: /upstream prematurely closed|reset by peer.*upstream/, says: 'the receiver closed the connection' },
  { kind: 'worker_connections', phrase: /worker_connections are not enough/, says: 'worker_connections are not enough' },
  { kind: 'too_many_files', phrase: /Too many open files/, says: 'too many open files' },
];

const LINE = /^(\d{4})\/(\d{2})\/(\d{2}) (\d{2}):(\d{2}):(\d{2}) \[(\w+)\] (\d+)#\d+: (?:\*\d+ )?(.*)$/;

export function isErrorLogLine(line: string): boolean {
  return LINE.test(line);
}

/** One error-log line to an event; undefined for lines that are not about a push or a limit. */
export function parseErrorLine(line: string): LogEvent | undefined {
  const m = LINE.exec(line);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, se, level, pid, message = ''] = m;
  const known = NGINX_ERRORS.find((k) => k.phrase.test(message));
  if (!known) return undefined;
  const wallMs = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(se));
  const e: LogEvent = { layer: NGINX_ERROR_LAYER, end: wallMs - BEIJING_OFFSET_MS, wallMs, code: known.kind, msg: known.says, pid: Number(pid), reason: level };
  const request = /, request: "([^"]*)"/.exec(message)?.[1];
  const upstream = /, upstream: "([^"]*)"/.exec(message)?.[1];
  if (request !== undefined) {
    const { method, path, query } = parseRequest(request);
    e.access = { upstreamAddrs: upstream ? [upstream.replace(/^\w+:\/\/([^/]+).*$/, '$1')] : [], upstreamStatuses: [] };
    if (method) e.access.method = method;
    if (path) e.access.path = path;
    const ts = Number(query.get('timestamp'));
    if (Number.isFinite(ts) && ts > 0) e.access.pushTs = ts;
    const nonce = query.get('nonce');
    if (nonce) e.access.nonce = nonce;
    const openid = query.get('openid');
    if (openid) e.openid = openid;
    const appid = path ? /^\/wechat\/([^/?]+)/.exec(path)?.[1] : undefined;
    if (appid) e.appid = appid;
  }
  return e;
}
