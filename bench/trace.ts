// How fast `wxgate trace` and `wxgate alert` read logs: writes ~1 GB of realistic nginx and
// wxgate lines into a temporary directory, times a trace (one openid) and an alert-window
// scan over it, records bench/results/trace.json, and deletes the file.
//
//   node --import tsx bench/trace.ts [--size-mb 1024]
import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { fileSource } from '../src/trace/read-lines.js';
import { scanLogs } from '../src/trace/scan.js';
import { traceLogs } from '../src/trace/trace.js';

const { values } = parseArgs({ options: { 'size-mb': { type: 'string', default: '1024' } } });
const SIZE = Number(values['size-mb']) * 1024 * 1024;
const T0 = Date.UTC(2014, 11, 1, 12, 0, 0);
const RESULTS = fileURLToPath(new URL('./results/trace.json', import.meta.url));

/** One access line and one receive line per push; oNEEDLE sends every 20 000th message. */
async function generate(path: string): Promise<{ bytes: number; lines: number }> {
  const out = createWriteStream(path, { highWaterMark: 1 << 20 });
  let bytes = 0;
  let n = 0;
  while (bytes < SIZE) {
    const block: string[] = [];
    for (let i = 0; i < 5000; i++, n++) {
      const openid = n % 20_000 === 0 ? 'oNEEDLE' : `oUser${(n * 7919) % 200_000}`;
      const t = T0 + n * 3; // ~330 pushes a second
      const s = Math.floor(t / 1000);
      block.push(
        `{"layer":"access","reqId":"${n.toString(16).padStart(32, '0')}","msec":${(t / 1000).toFixed(3)},"time_local":"01/Dec/2014:20:00:00 +0800","remote_addr":"101.226.103.61","server_addr":"203.0.113.5","request":"POST /wechat/wx3f8a6c1d2e4b5a79?signature=***&timestamp=${s}&nonce=${n}&openid=${openid}&encrypt_type=aes&msg_signature=*** HTTP/1.1","status":200,"body_bytes_sent":7,"request_length":812,"request_time":0.004,"upstream_addr":"10.0.0.11:3000","upstream_status":"200","upstream_connect_time":"0.000","upstream_header_time":"0.003","upstream_response_time":"0.003"}`,
        `{"level":30,"time":${t},"pid":4242,"layer":"receive","appid":"wx3f8a6c1d2e4b5a79","openid":"${openid}","reqId":"${n.toString(16).padStart(32, '0')}","stamp":${s},"msgType":"text","msgId":"${6088913000000000000n + BigInt(n)}","dedupKey":"m${n}","mode":"safe","status":200,"outcome":"acked","steps":{"verify":0.2,"decrypt":0.4,"parse":0.3,"enqueue":1.8},"ms":2.9,"msg":"push acknowledged"}`,
      );
    }
    const chunk = `${block.join('\n')}\n`;
    bytes += Buffer.byteLength(chunk);
    if (!out.write(chunk)) await new Promise<void>((r) => out.once('drain', () => r()));
  }
  await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
  return { bytes, lines: n * 2 };
}

async function measure<T>(run: () => Promise<T>): Promise<{ result: T; seconds: number; peakHeapMb: number; peakRssMb: number }> {
  let peakHeap = 0;
  let peakRss = 0;
  const sample = (): void => {
    const m = process.memoryUsage();
    peakHeap = Math.max(peakHeap, m.heapUsed);
    peakRss = Math.max(peakRss, m.rss);
  };
  const timer = setInterval(sample, 20);
  const started = performance.now();
  const result = await run();
  const seconds = (performance.now() - started) / 1000;
  clearInterval(timer);
  sample();
  return { result, seconds: round(seconds), peakHeapMb: round(peakHeap / 2 ** 20), peakRssMb: round(peakRss / 2 ** 20) };
}

const round = (x: number): number => Math.round(x * 100) / 100;

const dir = await mkdtemp(join(tmpdir(), 'wxgate-bench-trace-'));
try {
  const path = join(dir, 'logs.log');
  process.stderr.write(`writing ~${Math.round(SIZE / 2 ** 20)} MB to ${path}\n`);
  const gen = await generate(path);
  const size = (await stat(path)).size;
  const mb = size / 2 ** 20;

  const trace = await measure(() => traceLogs([fileSource(path)], { openid: 'oNEEDLE' }));
  process.stderr.write(`trace: ${trace.seconds} s, ${trace.result.timelines.length} messages\n`);
  // An alert's window (7 minutes) holds a slice of the file: every line is time-tested, those inside are parsed.
  const from = T0 + 20 * 60_000;
  const alert = await measure(() => scanLogs({ sources: [fileSource(path)], from, to: from + 7 * 60_000 }));
  process.stderr.write(`alert window: ${alert.seconds} s, ${alert.result.kept} lines kept\n`);

  const record = {
    name: 'trace',
    date: new Date().toISOString(),
    node: process.version,
    cpus: cpus().length,
    fileMb: round(mb),
    lines: gen.lines,
    trace: { seconds: trace.seconds, mbPerSecond: round(mb / trace.seconds), messages: trace.result.timelines.length, peakHeapMb: trace.peakHeapMb, peakRssMb: trace.peakRssMb },
    alertWindow: { seconds: alert.seconds, mbPerSecond: round(mb / alert.seconds), linesKept: alert.result.kept, peakHeapMb: alert.peakHeapMb, peakRssMb: alert.peakRssMb },
  };
  await mkdir(join(RESULTS, '..'), { recursive: true });
  await writeFile(RESULTS, `${JSON.stringify(record, null, 2)}\n`);
  process.stdout.write(`${JSON.stringify(record, null, 2)}\n`);
} finally {
  await rm(dir, { recursive: true, force: true });
}
