import { createServer, type Server } from 'node:http';
import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { runConstantRate } from '../../bench/lib/constant-rate.js';
import type { BuiltPush } from '../../src/dev/pushes.js';

let server: Server | undefined;
afterEach(() => server?.close());

/** Answers like the bench targets do: chunked after writeHead, or with a Content-Length; 409 for /replay. */
async function start(): Promise<{ url: string; bodies: string[] }> {
  const bodies: string[] = [];
  server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => {
      bodies.push(body);
      if (req.url === '/replay') return res.writeHead(409, { 'content-length': 14 }).end('nonce_replayed');
      if (req.url === '/chunked') res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('success');
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}`, bodies };
}

const push = (path: string, n: number): BuiltPush => ({ path, query: {}, body: `<xml><MsgId>${n}</MsgId></xml>` });

describe('runConstantRate', () => {
  it('sends every request of the pool once, counts only those after the warm-up, and counts statuses', async () => {
    const { url, bodies } = await start();
    const pool = Array.from({ length: 150 }, (_, i) => push(i % 10 === 0 ? '/replay' : i % 2 === 0 ? '/chunked' : '/', i));
    const result = await runConstantRate(url, pool, { rate: 200, durationS: 0.5, warmupS: 0.25, connections: 4 });
    expect(bodies).toHaveLength(150);
    expect(new Set(bodies).size).toBe(150);
    expect(result.requests).toBe(100); // the 50 of the warm-up are not counted
    expect(result.answered).toBe(135); // every 2xx answer, the warm-up's too: what CPU per push divides by
    expect(result.errors).toBe(0);
    expect(result.statuses).toEqual({ 409: 10 });
    expect(result.non2xx).toBe(10);
    expect(result.p99).toBeGreaterThan(0);
  });

  it('counts a request whose connection is lost as an error and still ends', async () => {
    const { url } = await start();
    server!.on('request', (req) => {
      if (req.url === '/drop') req.socket.destroy();
    });
    const pool = Array.from({ length: 40 }, (_, i) => push(i === 30 ? '/drop' : '/', i));
    const result = await runConstantRate(url, pool, { rate: 200, durationS: 0.1, warmupS: 0.1, connections: 2 });
    expect(result.errors).toBe(1);
    expect(result.requests).toBe(19);
    expect(result.answered).toBe(39);
  });
});
