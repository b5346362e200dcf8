// `wxgate alert`: paste a WeChat interface alert, get what the logs say about it.
// The alert comes from stdin or --alert FILE; the logs are files (plain or gzip).
import { readFile, writeFile } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { parseArgs } from 'node:util';
import { endQuietlyOnClosedPipe } from './closed-pipe.js';
import { AlertTextError, explainAlert } from '../trace/alert.js';
import { renderAlertHtml } from '../trace/alert-html.js';
import { renderAlertReport } from '../trace/alert-render.js';
import { fileSource } from '../trace/read-lines.js';
import type { CliIo } from './trace.js';

const defaultIo: CliIo = { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr };

const USAGE = `usage: wxgate alert [--alert FILE] [--appid ID] [--json] [--html FILE] [--slack S] LOGFILE…

Reads a WeChat interface alert (接口报警: Appid, 昵称, 时间, 内容, 次数, 错误样例) from
stdin or --alert FILE, recognises its kind (请求超时, 回应失败, 连接超时, DNS失败, MarkFail,
the third-party ones), reads the logs of its 5-minute window and reports how many pushes of
the sample's type arrived, how fast each layer answered, which never reached a receiver,
which were refused and why, the layer at fault, and the checklist for that kind with the
items the logs answer ticked.

  --alert FILE   the alert text (default: stdin; "-" too)
  --appid ID     read this account's pushes (default: the alert's Appid)
  --json         the report as JSON
  --html FILE    also write the report as a self-contained page (chart per minute by cause,
                 latency per layer, verdict, checklist) for the incident review
  --slack S      read S seconds more on each side of the window (default 60)
  LOGFILE…       wxgate's and nginx's logs (access and error log), plain or gzip
`;

function fail(io: CliIo, message: string): number {
  io.stderr.write(`wxgate alert: ${message}\n\n${USAGE}`);
  return 2;
}

async function readAll(stream: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

export async function run(argv: string[], io: CliIo = defaultIo): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        alert: { type: 'string', short: 'a' },
        json: { type: 'boolean', default: false },
        html: { type: 'string' },
        appid: { type: 'string' },
        slack: { type: 'string' },
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
  if (positionals.length === 0) return fail(io, 'give the log files to read (the alert itself comes from stdin or --alert)');
  if (positionals.includes('-')) return fail(io, 'stdin carries the alert; give the logs as files');
  const slackS = v.slack === undefined ? 60 : Number(v.slack);
  if (!Number.isFinite(slackS) || slackS < 0) return fail(io, `--slack "${v.slack}" is not a number of seconds`);

  try {
    const fromStdin = v.alert === undefined || v.alert === '-';
    if (fromStdin && (io.stdin as { isTTY?: boolean }).isTTY) io.stderr.write('paste the alert, then Ctrl-D:\n');
    const text = fromStdin ? await readAll(io.stdin) : await readFile(v.alert!, 'utf8');
    const report = await explainAlert(text, positionals.map((f) => fileSource(f)), { slackMs: slackS * 1000, ...(v.appid ? { appid: v.appid } : {}) });
    if (v.html) await writeFile(v.html, renderAlertHtml(report));
    io.stdout.write(v.json ? `${JSON.stringify(report, null, 2)}\n` : renderAlertReport(report));
    return 0;
  } catch (err) {
    if (err instanceof AlertTextError) return fail(io, err.message);
    io.stderr.write(`wxgate alert: ${(err as Error).message}\n`);
    return 2;
  }
}
