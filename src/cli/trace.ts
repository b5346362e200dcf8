// `wxgate trace`: one user's messages across nginx and wxgate's layers, from the logs.
// Reads plain or gzip files (or stdin) as a stream; see src/trace/.
import { parseArgs } from 'node:util';
import { endQuietlyOnClosedPipe } from './closed-pipe.js';
import type { Readable, Writable } from 'node:stream';
import { fileSource } from '../trace/read-lines.js';
import { renderTimeline } from '../trace/render-timeline.js';
import { formatBeijing, parseTime } from '../trace/time.js';
import { traceLogs, type TraceQuery } from '../trace/trace.js';

export interface CliIo {
  stdin: Readable;
  stdout: Writable;
  stderr: Writable;
}

const defaultIo: CliIo = { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr };

const USAGE = `usage: wxgate trace --openid ID [--at TIME [--window S] | --from TIME --to TIME]
                    [--appid ID] [--req-id ID] [--json] [FILE…]

Prints each message of that user as a timeline: one row per layer (nginx access and error
log, receive, worker, handler, send) with its time and duration, the outcome (a reply that
could not be sent is failed, with its errcode or HTTP status), the slowest layer marked and
every row over 5 s flagged with what it meant: before the answer WeChat timed out; after
success the user waited, WeChat did not.

  --openid ID    the user (FromUserName; the openid= of WeChat's push URL)
  --req-id ID    or one request: nginx's $request_id, wxgate's reqId
  --at TIME      a window around TIME, ±--window seconds (default 300)
  --from/--to    an explicit window
  --appid ID     only this account
  --json         timelines as JSON
  FILE…          wxgate and nginx logs, plain or gzip; none or "-" reads stdin

TIME: "2014-12-01 20:12:00" (Beijing time, as in WeChat's alerts), an ISO time with a zone,
or epoch seconds / milliseconds.
`;

function fail(io: CliIo, message: string): number {
  io.stderr.write(`wxgate trace: ${message}\n\n${USAGE}`);
  return 2;
}

function timeOption(io: CliIo, name: string, value: string | undefined): number | undefined | null {
  if (value === undefined) return undefined;
  const t = parseTime(value);
  if (t === undefined) {
    fail(io, `--${name} "${value}" is not a time: use "2014-12-01 20:12:00" or epoch seconds`);
    return null;
  }
  return t;
}

export async function run(argv: string[], io: CliIo = defaultIo): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        openid: { type: 'string' },
        'req-id': { type: 'string' },
        appid: { type: 'string' },
        at: { type: 'string' },
        window: { type: 'string' },
        from: { type: 'string' },
        to: { type: 'string' },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (err) {
    return fail(io, (err as Error).message);
  }
  const { values: v, positionals } = parsed;
  endQuietlyOnClosedPipe(io.stdout);
  if (v.help) {
    io.stdout.write(USAGE);
    return 0;
  }
  if (!v.openid && !v['req-id']) return fail(io, 'say whose messages: --openid ID (or --req-id ID)');
  if (v.at !== undefined && (v.from !== undefined || v.to !== undefined)) return fail(io, 'use --at or --from/--to, not both');
  const windowS = v.window === undefined ? 300 : Number(v.window);
  if (!Number.isFinite(windowS) || windowS < 0) return fail(io, `--window "${v.window}" is not a number of seconds`);
  const at = timeOption(io, 'at', v.at);
  const from = timeOption(io, 'from', v.from);
  const to = timeOption(io, 'to', v.to);
  if (at === null || from === null || to === null) return 2;

  const q: TraceQuery = {};
  if (v.openid) q.openid = v.openid;
  if (v['req-id']) q.reqId = v['req-id'];
  if (v.appid) q.appid = v.appid;
  if (at !== undefined) {
    q.from = at - windowS * 1000;
    q.to = at + windowS * 1000;
  } else {
    if (from !== undefined) q.from = from;
    if (to !== undefined) q.to = to;
  }

  const files = positionals.length === 0 ? ['-'] : positionals;
  let result;
  try {
    result = await traceLogs(files.map((f) => fileSource(f, io.stdin)), q);
  } catch (err) {
    io.stderr.write(`wxgate trace: ${(err as Error).message}\n`);
    return 2;
  }
  const { timelines, lines } = result;
  if (v.json) {
    io.stdout.write(`${JSON.stringify({ query: q, lines, messages: timelines }, null, 2)}\n`);
  } else {
    for (const tl of timelines) io.stdout.write(`${renderTimeline(tl)}\n\n`);
    const who = q.openid ? `openid ${q.openid}` : `request ${q.reqId}`;
    const window = q.from !== undefined || q.to !== undefined
      ? ` between ${q.from !== undefined ? formatBeijing(q.from, { millis: false }) : 'the start'} and ${q.to !== undefined ? formatBeijing(q.to, { millis: false }) : 'the end'} (+08:00)`
      : '';
    io.stdout.write(`${timelines.length} message(s) for ${who}${window}; ${lines} lines read\n`);
  }
  return timelines.length > 0 ? 0 : 1;
}
