// Tiny node:http servers that answer pushes the ways a WeChat server URL can: `success`, 'fail',
// too late, a passive reply, a 500 — recording every request so tests can compare deliveries.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SeenRequest {
  readonly url: string;
  readonly query: Record<string, string>;
  readonly body: string;
}

export interface TinyServer {
  readonly url: string;
  readonly port: number;
  readonly seen: SeenRequest[];
  close(): Promise<void>;
}

export type Answer = (req: SeenRequest, n: number, res: ServerResponse) => void;

export async function startTinyServer(answer: Answer, { port: wanted = 0 }: { port?: number } = {}): Promise<TinyServer> {
  const seen: SeenRequest[] = [];
  const server = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = req.url ?? '';
      const r = { url, query: Object.fromEntries(new URL(url, 'http://x').searchParams), body: Buffer.concat(chunks).toString('utf8') };
      seen.push(r);
      answer(r, seen.length, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(wanted, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/wechat`,
    port,
    seen,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

export const reply =
  (body: string, status = 200): Answer =>
  (_req, _n, res) => {
    res.writeHead(status, { 'content-type': 'text/plain' });
    res.end(body);
  };

/** Answers `success` after `ms` — past a short test timeout. The timer is cleared if the client gives up. */
export const late =
  (ms: number): Answer =>
  (_req, _n, res) => {
    const timer = setTimeout(() => res.end('success'), ms);
    res.on('close', () => clearTimeout(timer));
  };

/** A port nothing listens on (a server that was started and closed). */
export async function closedPort(): Promise<number> {
  const s = await startTinyServer(reply('success'));
  await s.close();
  return s.port;
}
