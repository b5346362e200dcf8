// How fast `wxgate trace` and `wxgate alert` read logs, as the commands run (child processes of
// bin/wxgate.js), beside grep for the same openid: writes ~1 GB of nginx access log and wxgate
// log (four lines per message: access, receive, worker, send; half a million openids; six hours
// of a busy account, ~28 messages/s, with a 20 s outage of the receiver in the middle: nginx
// 502s and wxgate's stop and start lines), then runs paired rounds of grep, trace and alert,
// each round the three in turn, and records the medians with their spread in
// bench/results/trace.json. The files are deleted at the end.
//
//   node --import tsx bench/trace.ts [--size-mb 1024] [--rounds 3] [--keep DIR]
// (--keep: write the logs into DIR, or reuse them if DIR has them, and leave them there)
import { spawnSync } from 'node:child_process';
import { createWriteStream, existsSync, type WriteStream } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { 'size-mb': { type: 'string', default: '1024' }, rounds: { type: 'string', default: '3' }, keep: { type: 'string' } } });
const SIZE = Number(values['size-mb']) * 1024 * 1024;
const ROUNDS = Number(values.rounds);
const BIN = fileURLToPath(new URL('../bin/wxgate.js', import.meta.url));
const RESULTS = fileURLToPath(new URL('./results/trace.json', import.meta.url));
const APPID = 'wx3f8a6c1d2e4b5a79';
const OPENIDS = 500_000;
const NEEDLE = 'oNEEDLEneedleNEEDLEneedle000';
const T0 = Date.UTC(2026, 11, 3, 0, 0, 0); // 08:00 +08:00
const SPAN_MS = 6 * 3600_000;
/** Bytes a message takes in the two files (measured from the lines below). */
const BYTES_PER_MESSAGE = 1775;

const openidOf = (n: number): string => (n % 20_000 === 7 ? NEEDLE : `oUser${String((n * 7919) % OPENIDS).padStart(23, '0')}`);
const hex = (n: number): string => n.toString(16).padStart(32, '0');

function beijingLocal(ms: number): string {
  const d = new Date(ms + 8 * 3600_000);
  const mon = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'][d.getUTCMonth()]!;
  const p = (x: number): string => String(x).padStart(2, '0');
  return `${p(d.getUTCDate())}/${mon}/${d.getUTCFullYear()}:${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} +0800`;
}

async function write(out: WriteStream, chunk: string): Promise<void> {
  if (!out.write(chunk)) await new Promise<void>((r) => out.once('drain', () => r()));
}

async function generate(dir: string): Promise<{ messages: number; outage: { from: number; to: number } }> {
  const access = createWriteStream(join(dir, 'access.log'), { highWaterMark: 1 << 20 });
  const wxgate = createWriteStream(join(dir, 'wxgate.log'), { highWaterMark: 1 << 20 });
  const messages = Math.round(SIZE / BYTES_PER_MESSAGE);
  const step = SPAN_MS / messages;
  const outage = { from: T0 + SPAN_MS / 2, to: T0 + SPAN_MS / 2 + 20_000 };
  let stopped = false;
  let started = false;
  for (let n = 0; n < messages; ) {
    const a: string[] = [];
    const w: string[] = [];
    for (let i = 0; i < 2000 && n < messages; i++, n++) {
      const t = Math.round(T0 + n * step);
      const s = Math.floor(t / 1000);
      const openid = openidOf(n);
      const id = hex(n);
      const down = t >= outage.from && t < outage.to;
      if (down && !stopped) {
        w.push(`{"level":30,"time":${t},"pid":4242,"signal":"SIGTERM","msg":"stopping"}`);
        stopped = true;
      }
      if (!down && stopped && !started) {
        w.push(`{"level":30,"time":${t},"pid":4343,"layer":"receive","url":"http://127.0.0.1:3000","apps":["${APPID}"],"msg":"receiver listening"}`);
        started = true;
      }
      const request = `POST /wechat?signature=***&timestamp=${s}&nonce=${n}&openid=${openid}&encrypt_type=aes&msg_signature=*** HTTP/1.1`;
      if (down) {
        a.push(`{"layer":"access","reqId":"${id}","msec":${(t / 1000).toFixed(3)},"time_local":"${beijingLocal(t)}","remote_addr":"101.226.103.61","server_addr":"203.0.113.5","request":"${request}","status":502,"body_bytes_sent":150,"request_length":812,"request_time":0.001,"upstream_addr":"127.0.0.1:3000","upstream_status":"502","upstream_connect_time":"-","upstream_header_time":"-","upstream_response_time":"0.000"}`);
        continue;
      }
      const pid = started ? 4343 : 4242;
      const dedup = `m_${APPID}_${6088913000000000000n + BigInt(n)}`;
      const keys = `"appid":"${APPID}","openid":"${openid}","stamp":${s},"dedupKey":"${dedup}","reqId":"${id}"`;
      a.push(`{"layer":"access","reqId":"${id}","msec":${((t + 4) / 1000).toFixed(3)},"time_local":"${beijingLocal(t)}","remote_addr":"101.226.103.61","server_addr":"203.0.113.5","request":"${request}","status":200,"body_bytes_sent":7,"request_length":812,"request_time":0.004,"upstream_addr":"127.0.0.1:3000","upstream_status":"200","upstream_connect_time":"0.000","upstream_header_time":"0.003","upstream_response_time":"0.003"}`);
      w.push(
        `{"level":30,"time":${t + 3},"pid":${pid},"layer":"receive",${keys},"msgType":"text","msgId":"${6088913000000000000n + BigInt(n)}","mode":"aes","status":200,"outcome":"acked","steps":{"verify":0.2,"decrypt":0.4,"parse":0.3,"enqueue":1.8},"ms":2.9,"msg":"push acknowledged"}`,
        `{"level":30,"time":${t + 12},"pid":${pid},"layer":"worker",${keys},"attempt":1,"waitMs":5,"handlerMs":1.2,"ms":3,"route":"text","outcome":"handled","replies":1,"msg":"message handled"}`,
        `{"level":30,"time":${t + 20},"pid":${pid},"layer":"send",${keys},"jobId":"${dedup}_r0","msgtype":"text","attempt":1,"ms":6.1,"errcode":0,"outcome":"sent","sinceReceivedMs":20,"msg":"reply sent"}`,
      );
    }
    await write(access, `${a.join('\n')}\n`);
    if (w.length > 0) await write(wxgate, `${w.join('\n')}\n`);
  }
  await Promise.all([access, wxgate].map((s) => new Promise<void>((resolve, reject) => s.end((err?: Error | null) => (err ? reject(err) : resolve())))));
  return { messages, outage };
}

function alertText(at: number): string {
  const iso = new Date(at + 8 * 3600_000).toISOString();
  return [
    `Appid: ${APPID}`,
    '昵称: 网关测试号',
    `时间: ${iso.slice(0, 10)} ${iso.slice(11, 19)}`,
    '内容: 微信服务器向公众号推送消息或事件后，得到的回应不合法',
    '次数: 5分钟 560次',
    `错误样例: [OpenID=${NEEDLE}][Stamp=${Math.floor(at / 1000)}][IP=203.0.113.5][Msg=Text][response_length=150][response_content=<html><head><title>502 Bad Gateway</title></head></html>]`,
    '',
  ].join('\n');
}

interface Run {
  seconds: number;
  maxRssMb: number;
  status: number;
}

/** One command under /usr/bin/time: wall seconds and peak RSS (the whole process, not just the heap). */
function timed(cmd: string[], stdin?: string): Run {
  const r = spawnSync('/usr/bin/time', ['-f', '%e %M', ...cmd], { input: stdin, encoding: 'utf8', maxBuffer: 1 << 28 });
  const [seconds, kb] = r.stderr.trim().split('\n').pop()!.split(' ').map(Number);
  return { seconds: seconds!, maxRssMb: Math.round(kb! / 1024), status: r.status ?? -1 };
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const summary = (runs: Run[]) => ({
  seconds: median(runs.map((r) => r.seconds)),
  secondsRange: [Math.min(...runs.map((r) => r.seconds)), Math.max(...runs.map((r) => r.seconds))],
  maxRssMb: median(runs.map((r) => r.maxRssMb)),
  maxRssRange: [Math.min(...runs.map((r) => r.maxRssMb)), Math.max(...runs.map((r) => r.maxRssMb))],
});

const cpuModel = async (): Promise<string> => /model name\s*:\s*(.+)/.exec(await readFile('/proc/cpuinfo', 'utf8'))?.[1]?.trim() ?? cpus()[0]?.model ?? 'unknown CPU';

const dir = values.keep ?? (await mkdtemp(join(tmpdir(), 'wxgate-bench-trace-')));
try {
  await mkdir(dir, { recursive: true });
  const reuse = values.keep !== undefined && existsSync(join(dir, 'generated.json'));
  if (!reuse) process.stderr.write(`writing ~${Math.round(SIZE / 2 ** 20)} MB to ${dir}\n`);
  const gen = reuse ? (JSON.parse(await readFile(join(dir, 'generated.json'), 'utf8')) as Awaited<ReturnType<typeof generate>>) : await generate(dir);
  if (values.keep !== undefined) await writeFile(join(dir, 'generated.json'), JSON.stringify(gen));
  const files = [join(dir, 'access.log'), join(dir, 'wxgate.log')];
  const sizes = await Promise.all(files.map((f) => stat(f)));
  const mb = sizes.reduce((s, x) => s + x.size, 0) / 2 ** 20;
  const alert = alertText(gen.outage.from + 1000);
  const node = process.execPath;
  const rounds: { grep: Run; trace: Run; alert: Run }[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    const grep = timed(['grep', '-h', NEEDLE, ...files]);
    const trace = timed([node, BIN, 'trace', '--openid', NEEDLE, ...files]);
    const al = timed([node, BIN, 'alert', ...files], alert);
    if (trace.status !== 0 || al.status !== 0) throw new Error(`trace exited ${trace.status}, alert ${al.status}`);
    rounds.push({ grep, trace, alert: al });
    process.stderr.write(`round ${i + 1}: grep ${grep.seconds} s, trace ${trace.seconds} s (${trace.maxRssMb} MB), alert ${al.seconds} s (${al.maxRssMb} MB)\n`);
  }
  const ratio = (k: 'trace' | 'alert') => {
    const rs = rounds.map((r) => Math.round((r[k].seconds / Math.max(0.01, r.grep.seconds)) * 10) / 10);
    return { median: median(rs), range: [Math.min(...rs), Math.max(...rs)] };
  };
  const record = {
    name: 'trace',
    date: new Date().toISOString(),
    machine: `${cpus().length} × ${await cpuModel()}`,
    node: process.version,
    fileMb: Math.round(mb * 100) / 100,
    messages: gen.messages,
    openids: OPENIDS,
    spanHours: SPAN_MS / 3600_000,
    rounds: ROUNDS,
    grep: summary(rounds.map((r) => r.grep)),
    trace: { ...summary(rounds.map((r) => r.trace)), vsGrep: ratio('trace') },
    alert: { ...summary(rounds.map((r) => r.alert)), vsGrep: ratio('alert') },
    runs: rounds,
  };
  await mkdir(join(RESULTS, '..'), { recursive: true });
  await writeFile(RESULTS, `${JSON.stringify(record, null, 2)}\n`);
  process.stdout.write(`${JSON.stringify(record, null, 2)}\n`);
} finally {
  if (values.keep === undefined) await rm(dir, { recursive: true, force: true });
}
