// Without nginx in front, `wxgate serve` itself closes connections that hold it: slow headers,
// a slow body, idle keep-alive connections (issue 14 item 6), and answers a chunked body over
// the limit with 413 rather than a reset. The limits are set short here; the bounds below only
// tell "closed" from "held for minutes", they measure nothing.
import { mkdtemp, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawClient, within } from '../helpers/raw-client.js';
import { deleteKeys, testPrefix } from '../helpers/redis-keys.js';
import { childEnv, startWxgateChild, testPush, type WxgateChild } from '../helpers/wxgate-child.js';

const BOUND_MS = 20_000;
let child: WxgateChild;
let port: number;
let prefix: string;
let spoolDir: string;

beforeAll(async () => {
  prefix = testPrefix('limits');
  spoolDir = await mkdtemp(join(tmpdir(), 'wxgate-limits-'));
  child = startWxgateChild(['serve'], childEnv(prefix, spoolDir, { WXGATE_REQUEST_TIMEOUT_MS: '1500', WXGATE_IDLE_TIMEOUT_MS: '500', WXGATE_KEEPALIVE_TIMEOUT_MS: '500' }));
  const listening = await child.line((l) => l.msg === 'receiver listening', 'the receiver to listen');
  port = Number(new URL(listening.url as string).port);
});

afterAll(async () => {
  await child?.kill();
  await deleteKeys(prefix);
  await rm(spoolDir, { recursive: true, force: true });
});

describe('wxgate serve closes connections that hold it', () => {
  it('slow headers: a byte every 200 ms, never finished', async () => {
    const c = await rawClient(port);
    c.socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ');
    c.trickle('a', 200);
    await within(c.closed, BOUND_MS, 'the slow-header connection closed');
    expect(c.received()).toMatch(/^(HTTP\/1\.1 408|$)/);
  });

  it('a slow body: a byte every 200 ms of a declared 10,000', async () => {
    const c = await rawClient(port);
    const push = testPush();
    c.socket.write(`POST ${push.path} HTTP/1.1\r\nHost: x\r\nContent-Type: text/xml\r\nContent-Length: 10000\r\n\r\n<xml>`);
    c.trickle('a', 200);
    await within(c.closed, BOUND_MS, 'the slow-body connection closed');
  });

  it('an idle keep-alive connection after its answer', async () => {
    const c = await rawClient(port);
    c.socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
    await within(c.closed, BOUND_MS, 'the idle keep-alive connection closed');
    expect(c.received()).toMatch(/^HTTP\/1\.1 200 OK\r\n[\s\S]*\r\n\r\nok$/);
  });

  it('a chunked body over WXGATE_BODY_LIMIT_BYTES gets 413, not a reset', async () => {
    const push = testPush();
    const status = await new Promise<number>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, method: 'POST', path: push.path, headers: { 'content-type': 'text/xml', 'transfer-encoding': 'chunked' } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      for (let i = 0; i < 8; i += 1) req.write(Buffer.alloc(16 * 1024, 'a')); // 128 KiB against 64 KiB
      req.end();
    });
    expect(status).toBe(413);
    await child.line((l) => l.msg === 'push rejected' && l.reason === 'body_too_large', 'the rejection line');
  });
});
