import { createWriteStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileSource } from '../../src/trace/read-lines.js';
import { scanLogs } from '../../src/trace/scan.js';
import { traceLogs } from '../../src/trace/trace.js';
import { T0 } from './events.js';

const stdin = (text: string) => fileSource('-', Readable.from([Buffer.from(text)]));
const receive = (openid: string, time: number) => JSON.stringify({ level: 30, time, layer: 'receive', openid, reqId: `r${time}`, status: 200, outcome: 'acked', ms: 2 });

describe('scanLogs', () => {
  it('keeps only lines with a needle, then only those that pass keep()', async () => {
    const text = [receive('oA', T0), receive('oB', T0), receive('oAB', T0 + 1), 'junk oA'].join('\n');
    const all = await scanLogs({ sources: [stdin(text)], needles: ['oA'] });
    expect(all.events.map((e) => e.openid)).toEqual(['oA', 'oAB']);
    expect(all.lines).toBe(4);
    const exact = await scanLogs({ sources: [stdin(text)], needles: ['oA'], keep: (e) => e.openid === 'oA' });
    expect(exact.kept).toBe(1);
  });

  it('keeps only lines in the time window', async () => {
    const text = [receive('oA', T0 - 1000), receive('oA', T0), receive('oA', T0 + 1000)].join('\n');
    const r = await scanLogs({ sources: [stdin(text)], from: T0, to: T0 + 999 });
    expect(r.events.map((e) => e.end)).toEqual([T0]);
  });
});

describe('scanning a large file', () => {
  let dir: string;
  let path: string;
  const TARGET_MB = 80;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'wxgate-scan-'));
    path = join(dir, 'big.log');
    // Realistic access and receive lines for many users; oNEEDLE sends every 10 000th message.
    const out = createWriteStream(path);
    const block: string[] = [];
    let n = 0;
    let written = 0;
    while (written < TARGET_MB * 1024 * 1024) {
      block.length = 0;
      for (let i = 0; i < 2000; i++, n++) {
        const openid = n % 10_000 === 0 ? 'oNEEDLE' : `oUser${n % 50_000}`;
        const t = T0 + n;
        block.push(
          JSON.stringify({ layer: 'access', reqId: `q${n}`, msec: t / 1000, request: `POST /wechat?signature=x&timestamp=${Math.floor(t / 1000)}&nonce=${n}&openid=${openid} HTTP/1.1`, status: 200, request_time: 0.004, upstream_addr: '10.0.0.11:3000', upstream_status: '200', upstream_response_time: '0.003' }),
          JSON.stringify({ level: 30, time: t, pid: 1, layer: 'receive', appid: 'wxA', openid, reqId: `q${n}`, stamp: Math.floor(t / 1000), msgType: 'text', msgId: String(n), dedupKey: `m${n}`, status: 200, outcome: 'acked', steps: { verify: 0.2, decrypt: 0.3, parse: 0.2, enqueue: 1.2 }, ms: 2.1, msg: 'push acknowledged' }),
        );
      }
      const chunk = `${block.join('\n')}\n`;
      written += Buffer.byteLength(chunk);
      if (!out.write(chunk)) await new Promise<void>((r) => out.once('drain', () => r()));
    }
    await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
  }, 60_000);

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('finds one user\'s messages with flat memory', async () => {
    expect((await stat(path)).size).toBeGreaterThan(TARGET_MB * 1024 * 1024);
    globalThis.gc?.();
    const before = process.memoryUsage().heapUsed;
    let peak = before;
    const sampler = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().heapUsed);
    }, 2);
    const { timelines, lines } = await traceLogs([fileSource(path)], { openid: 'oNEEDLE' });
    clearInterval(sampler);
    peak = Math.max(peak, process.memoryUsage().heapUsed);
    expect(lines).toBeGreaterThan(250_000);
    expect(timelines.length).toBeGreaterThanOrEqual(14);
    expect(timelines.every((t) => t.identity.openid === 'oNEEDLE' && t.deliveries.length === 1 && t.rows.length === 2)).toBe(true);
    // A reader that kept the lines would grow by more than the file; a streaming one by its
    // young-generation garbage (~20 MB here), whatever the file's size.
    const growthMb = (peak - before) / 1024 / 1024;
    expect(growthMb).toBeLessThan(TARGET_MB / 2);
  }, 120_000);
});
