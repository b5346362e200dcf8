// One HTTP exchange over node:http / node:https with keep-alive agents: the API client's
// transport. Not fetch: Node 20's fetch (undici behind web streams, an AbortSignal and a body
// stream per call) cost about four times node:http's CPU per call here (bench/tmp-prof, 50
// concurrent POSTs against a local server: ~420 against ~90 µs), and the worker makes one call
// per reply. Like undici, Node's Agent honours the server's `Keep-Alive: timeout=N` hint, so a
// socket the server is about to close is not reused; idle sockets do not keep the process alive.
import http from 'node:http';
import https from 'node:https';

export interface HttpRequest {
  url: string;
  method: 'GET' | 'POST';
  /** Sent as application/json when given. */
  json?: string;
  /** For the whole exchange, answer body included. */
  timeoutMs: number;
}

export interface HttpAnswer {
  status: number;
  text: string;
}

export type HttpExchange = (req: HttpRequest) => Promise<HttpAnswer>;

/** Why an exchange failed: no connection / request failed, no full answer in time, or the answer broke off. */
export class HttpExchangeError extends Error {
  constructor(
    readonly phase: 'request' | 'timeout' | 'response',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

export interface HttpExchangeOptions {
  /** Connections per host (sends in flight beyond it wait for a free one). */
  maxSockets?: number;
}

export function createHttpExchange({ maxSockets = 256 }: HttpExchangeOptions = {}): HttpExchange {
  const agents = { 'http:': new http.Agent({ keepAlive: true, maxSockets }), 'https:': new https.Agent({ keepAlive: true, maxSockets }) };
  return ({ url, method, json, timeoutMs }) =>
    new Promise<HttpAnswer>((resolve, reject) => {
      const https_ = url.startsWith('https:');
      const headers = json === undefined ? undefined : { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(json)) };
      const req = (https_ ? https : http).request(url, { method, headers, agent: agents[https_ ? 'https:' : 'http:'] }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => {
          clearTimeout(timer);
          resolve({ status: res.statusCode ?? 0, text });
        });
        res.on('error', (err) => fail(new HttpExchangeError('response', err.message, { cause: err })));
        res.on('aborted', () => fail(new HttpExchangeError('response', 'the answer broke off')));
      });
      const timer = setTimeout(() => req.destroy(new HttpExchangeError('timeout', `no answer within ${timeoutMs} ms`)), timeoutMs);
      function fail(err: Error) {
        clearTimeout(timer);
        reject(err);
      }
      req.on('error', (err) => fail(err instanceof HttpExchangeError ? err : new HttpExchangeError('request', err.message, { cause: err })));
      req.end(json);
    });
}
