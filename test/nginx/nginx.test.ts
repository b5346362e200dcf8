// nginx/nginx.conf under a real nginx: it passes `nginx -t`, carries a push to a receiver
// with nginx's request id (the access line and the receive line join), and keeps /metrics and
// /internal to this host. Without nginx these tests fail; they never skip.
import { request } from 'node:http';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { classifyDelivery } from '../../src/trace/classify.js';
import { parseLine } from '../../src/trace/parse-line.js';
import { fileSource } from '../../src/trace/read-lines.js';
import { traceLogs } from '../../src/trace/trace.js';
import { buildPush, textMessage } from '../../src/dev/pushes.js';
import { startTestReceiver, TEST_APP, type TestReceiver } from '../helpers/receiver.js';
import { findNginx, freePort, startNginx, testConfig, waitForFile, type LocalNginx } from './nginx-helper.js';
import { startHarness, type Harness } from '../fixtures/worker/harness.js';

const found = findNginx();

interface Reply {
  status: number;
  body: string;
  headers: Record<string, string | string[] | undefined>;
}

function send(port: number, path: string, { method = 'POST', body = '', from, headers = {} }: { method?: string; body?: string | Buffer; from?: string; headers?: Record<string, string> } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method, localAddress: from, headers: { 'Content-Type': 'text/xml', 'Content-Length': Buffer.byteLength(body), ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), headers: res.headers }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** A real, signed safe-mode push of the test account (the receivers behind nginx are wxgate's own, mode safe). */
function push(openid: string, msgId: string, stamp = Math.floor(Date.now() / 1000)) {
  const p = buildPush(TEST_APP, textMessage({ openid, content: 'hi', msgId, createTime: stamp }), { mode: 'aes', basePath: `/wechat/${TEST_APP.appid}`, timestamp: String(stamp) });
  return { path: p.path, body: p.body, query: p.query };
}

describe('nginx is available', () => {
  it('is installed (CI: apt-get install -y nginx)', () => {
    expect(found.problem, found.problem).toBeUndefined();
  });
});

describe('nginx/nginx.conf', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'wxgate-nginx-t-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('passes nginx -t as shipped, with only its log, pid and temp paths moved', () => {
    const r = testConfig({ prefix: join(dir, 'shipped'), pathsOnly: true, nginx: found.path ?? 'nginx' });
    expect(r.output).toMatch(/test is successful/);
    expect(r.ok).toBe(true);
  });

  it('passes nginx -t rendered for loopback with several receivers', async () => {
    const r = testConfig({ prefix: join(dir, 'local'), port: 18080, upstreams: [13001, 13002, '127.0.0.1:13003'], nginx: found.path ?? 'nginx' });
    expect(r.output).toMatch(/test is successful/);
    const conf = await readFile(join(dir, 'local', 'nginx.conf'), 'utf8');
    expect(conf).toMatch(/listen 127\.0\.0\.1:18080;/);
    expect(conf.match(/server 127\.0\.0\.1:1300\d max_fails=3 fail_timeout=10s;/g)).toHaveLength(3);
    expect(conf).not.toMatch(/10\.0\.0\.1\d:3000|\/var\/log|\/run\//);
  });

  it('keeps the limits the receiver relies on', async () => {
    const conf = await readFile(join(process.cwd(), 'nginx', 'nginx.conf'), 'utf8');
    expect(conf).toMatch(/client_max_body_size 64k;/);
    expect(conf).toMatch(/proxy_set_header X-Request-Id \$request_id;/);
    expect(conf).toMatch(/log_format wxgate escape=json/);
    const timeouts = [...conf.matchAll(/proxy_(connect|send|read)_timeout (\d+)(ms|s);/g)].map((t) => [t[1], Number(t[2]) * (t[3] === 's' ? 1000 : 1)] as const);
    expect(timeouts.map(([name]) => name).sort()).toEqual(['connect', 'read', 'send']);
    for (const [, ms] of timeouts) expect(ms).toBeLessThan(5000);
    // The receiver's wait for a passive reply (WXGATE_PASSIVE_WAIT_MS, at most 4500) must get through.
    expect(timeouts.find(([name]) => name === 'read')![1]).toBeGreaterThan(4500);
    expect(conf).toMatch(/# ssl_certificate /);
  });
});

describe('a push through nginx', () => {
  let receivers: TestReceiver[] = [];
  let nginx: LocalNginx | undefined;
  let deadPort: number;
  let logDir: string;

  beforeAll(async () => {
    if (!found.path) throw new Error(found.problem);
    receivers = [await startTestReceiver(), await startTestReceiver()];
    deadPort = await freePort(); // nothing listens here: nginx must move on to the next receiver
    nginx = await startNginx({ nginx: found.path, upstreams: [deadPort, ...receivers.map((r) => Number(new URL(r.url).port))] });
    logDir = await mkdtemp(join(tmpdir(), 'wxgate-nginx-logs-'));
  }, 30_000);

  afterAll(async () => {
    await nginx?.stop();
    await Promise.all(receivers.map((r) => r.close()));
    if (logDir) await rm(logDir, { recursive: true, force: true });
  });

  // The receive lines the real receivers wrote (pino JSON, layer receive).
  const receiveLines = () => receivers.flatMap((r) => r.logs.raw.map((l) => l.trim())).filter((l) => l.includes('"layer":"receive"'));

  it('reaches a receiver with nginx\'s request id, and the access line carries the same id', async () => {
    const stamp = Math.floor(Date.now() / 1000);
    const p = push('oTRACE1', `9${Date.now()}1`, stamp);
    const reply = await send(nginx!.port, p.path, { body: p.body, headers: { 'X-Request-Id': 'forged-by-client' } });
    expect(reply.status).toBe(200);
    expect(reply.body).toBe('success');
    const reqId = reply.headers['x-request-id'] as string;
    expect(reqId).toMatch(/^[0-9a-f]{32}$/);

    const received = receiveLines().map((l) => parseLine(l)!).find((e) => e.openid === 'oTRACE1' && e.reqId === reqId)!;
    expect(received.reqId).toBe(reqId); // generated by nginx, never the client's

    const text = await waitForFile(nginx!.accessLog, (t) => t.includes(reqId));
    const line = text.trim().split('\n').find((l) => l.includes(reqId))!;
    const access = parseLine(line)!;
    expect(access).toMatchObject({ layer: 'access', status: 200, openid: 'oTRACE1', appid: TEST_APP.appid });
    expect(access.access).toMatchObject({ method: 'POST', path: `/wechat/${TEST_APP.appid}`, pushTs: stamp, remoteAddr: '127.0.0.1' });
    // The signatures are masked (issue 14); the rest of the query is as WeChat sent it.
    const logged = new URLSearchParams((JSON.parse(line) as { request: string }).request.split(' ')[1]!.split('?')[1]);
    expect(Object.fromEntries(logged)).toEqual({ ...p.query, signature: '***', msg_signature: '***' });
    expect(line).not.toContain(p.query.signature!);
    expect(line).not.toContain(p.query.msg_signature!);

    // And `wxgate trace` joins them into one delivery.
    const receiveLog = join(logDir, 'receive-1.log');
    await writeFile(receiveLog, `${receiveLines().join('\n')}\n`);
    const { timelines } = await traceLogs([fileSource(nginx!.accessLog), fileSource(receiveLog)], { openid: 'oTRACE1' });
    expect(timelines).toHaveLength(1);
    expect(timelines[0]!.rows.map((r) => [r.layer, r.delivery, r.reqId])).toEqual([
      ['access', 1, reqId],
      ['receive', 1, reqId],
    ]);
    expect(timelines[0]!.outcome.kind).toBe('success');
  });

  it('masks signature and msg_signature wherever they stand in the query, and nothing else', async () => {
    const cases = [
      ['msg_signature=aaaa1111&timestamp=1&signature=bbbb2222&openid=oMASK1', 'msg_signature=***&timestamp=1&signature=***&openid=oMASK1'],
      ['signature=cccc3333', 'signature=***'],
      ['openid=oMASK2&xsignature=keep&nonce=n1', 'openid=oMASK2&xsignature=keep&nonce=n1'],
      ['openid=oMASK3&msg_signature=dddd4444', 'openid=oMASK3&msg_signature=***'],
    ];
    const ids: string[] = [];
    for (const [query] of cases) ids.push((await send(nginx!.port, `/wechat/${TEST_APP.appid}?${query}`, { body: '<xml/>' })).headers['x-request-id'] as string);
    const text = await waitForFile(nginx!.accessLog, (t) => ids.every((id) => t.includes(id)));
    const lines = text.trim().split('\n').map((l) => JSON.parse(l) as { reqId: string; request: string });
    cases.forEach(([, masked], i) => {
      expect(lines.find((l) => l.reqId === ids[i])!.request).toBe(`POST /wechat/${TEST_APP.appid}?${masked} HTTP/1.1`);
    });
    expect(text).not.toMatch(/aaaa1111|bbbb2222|cccc3333|dddd4444/);
  });

  it('moves on to the next receiver when one is down, within the same request', async () => {
    const stamp = Math.floor(Date.now() / 1000);
    const replies = [];
    for (let i = 0; i < 4; i++) {
      const p = push(`oRETRY${i}`, `91${Date.now()}${i}`, stamp);
      replies.push(await send(nginx!.port, p.path, { body: p.body }));
    }
    expect(replies.map((r) => r.status)).toEqual([200, 200, 200, 200]);
    const ids = replies.map((r) => r.headers['x-request-id'] as string);
    const text = await waitForFile(nginx!.accessLog, (t) => ids.every((id) => t.includes(id)));
    const lines = text.trim().split('\n').map((l) => parseLine(l)!).filter((e) => ids.includes(e.reqId!));
    const retried = lines.filter((e) => e.access!.upstreamAddrs.length === 2);
    expect(retried.length).toBeGreaterThan(0);
    for (const e of retried) {
      expect(e.access!.upstreamAddrs[0]).toBe(`127.0.0.1:${deadPort}`);
      expect(e.access!.upstreamStatuses).toEqual([502, 200]);
      expect(classifyDelivery({ access: e }).result).toBe('ok');
    }
  });

  it('refuses a body over 64 KiB itself, and logs why', async () => {
    const stamp = Math.floor(Date.now() / 1000);
    const before = receiveLines().length;
    const reply = await send(nginx!.port, push('oBIG', `92${Date.now()}`, stamp).path, { body: Buffer.alloc(65 * 1024 + 1, 'a') });
    expect(reply.status).toBe(413);
    expect(receiveLines()).toHaveLength(before);
    const reqId = reply.headers['x-request-id'] as string;
    const text = await waitForFile(nginx!.accessLog, (t) => t.includes(reqId));
    const access = text.trim().split('\n').map((l) => parseLine(l)!).find((e) => e.reqId === reqId)!;
    expect(classifyDelivery({ access })).toMatchObject({ result: 'rejected', layer: 'access: HTTP 413 (body_too_large)' });
  });

  it('serves /metrics, /internal, /admin and /nginx_status to this host only', async () => {
    expect((await send(nginx!.port, '/metrics', { method: 'GET' })).status).toBe(200);
    expect((await send(nginx!.port, '/nginx_status', { method: 'GET' })).body).toMatch(/Active connections/);
    // Another loopback address is "outside" as far as allow 127.0.0.1 goes.
    for (const path of ['/metrics', '/internal/v1/token', '/admin/queues', '/admin/queues/api/queues', '/nginx_status']) {
      expect((await send(nginx!.port, path, { method: 'GET', from: '127.0.0.2' })).status, path).toBe(403);
    }
    const p = push('oOUT', `93${Date.now()}`);
    expect((await send(nginx!.port, p.path, { from: '127.0.0.2', body: p.body })).status).toBe(200);
  });

  it('answers 404 off the routes and 403 to other methods', async () => {
    expect((await send(nginx!.port, '/', { method: 'GET' })).status).toBe(404);
    expect((await send(nginx!.port, '/wechat', { method: 'DELETE' })).status).toBe(403);
  });
});

describe('the wait for a passive reply through nginx', () => {
  let h: Harness | undefined;
  let nginx: LocalNginx | undefined;
  beforeAll(async () => {
    if (!found.path) throw new Error(found.problem);
    // No workers: nobody replies, so the receiver waits the longest wait there is, then answers.
    h = await startHarness({ env: { WECHAT_REPLY_MODE: 'passive', WXGATE_PASSIVE_WAIT_MS: '4500' }, workers: false });
    nginx = await startNginx({ nginx: found.path, upstreams: [Number(new URL(h.t.url).port)] });
  }, 30_000);
  afterAll(async () => {
    await nginx?.stop();
    await h?.close();
  });

  it('a receiver that waits WXGATE_PASSIVE_WAIT_MS=4500 is answered through, not cut by nginx with a 504', async () => {
    const p = push('oWAIT1', `93${Date.now()}`);
    const reply = await send(nginx!.port, p.path, { body: p.body });
    expect(reply).toMatchObject({ status: 200, body: 'success' });
    expect(h!.t.logs.find((l) => l.layer === 'receive' && l.openid === 'oWAIT1')).toMatchObject({ answer: 'too_late' });
  }, 15_000);
});
