import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpExchange, HttpExchangeError } from '../../src/wechat-api/http-exchange.js';

let server: http.Server;
let base: string;
const connections: unknown[] = [];
beforeAll(async () => {
  server = http.createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (body += c));
    req.on('end', () => {
      if (req.url === '/slow') return void setTimeout(() => res.end('{}'), 500);
      if (req.url === '/broken') {
        res.writeHead(200, { 'content-length': '100' });
        res.write('{"errcode"');
        return void setTimeout(() => res.destroy(), 20);
      }
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ method: req.method, type: req.headers['content-type'] ?? null, body }));
    });
  });
  server.on('connection', (s) => connections.push(s));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => {
  server.closeAllConnections();
  server.close();
});

describe('HTTP exchange (node:http, keep-alive)', () => {
  const exchange = createHttpExchange();

  it('posts JSON, reads the whole answer, and reuses one connection for calls one after another', async () => {
    const before = connections.length;
    for (let i = 0; i < 3; i += 1) {
      const a = await exchange({ url: `${base}/x?access_token=t`, method: 'POST', json: '{"touser":"o1","text":"你好"}', timeoutMs: 2000 });
      expect(a.status).toBe(200);
      expect(JSON.parse(a.text)).toEqual({ method: 'POST', type: 'application/json', body: '{"touser":"o1","text":"你好"}' });
      await new Promise((r) => setImmediate(r)); // the socket goes back to the pool after the answer
    }
    expect(JSON.parse((await exchange({ url: `${base}/g`, method: 'GET', timeoutMs: 2000 })).text)).toMatchObject({ method: 'GET', type: null });
    expect(connections.length - before).toBe(1);
  });

  it('fails typed: timeout, answer broken off, no connection', async () => {
    await expect(exchange({ url: `${base}/slow`, method: 'GET', timeoutMs: 100 })).rejects.toMatchObject({ phase: 'timeout', message: 'no answer within 100 ms' });
    await expect(exchange({ url: `${base}/broken`, method: 'GET', timeoutMs: 2000 })).rejects.toBeInstanceOf(HttpExchangeError);
    await expect(exchange({ url: `${base}/broken`, method: 'GET', timeoutMs: 2000 })).rejects.toMatchObject({ phase: 'response' });
    await expect(exchange({ url: 'http://127.0.0.1:1/', method: 'GET', timeoutMs: 2000 })).rejects.toMatchObject({ phase: 'request', message: expect.stringContaining('ECONNREFUSED') });
  });
});
