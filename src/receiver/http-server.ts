// The node:http server under the receiver (and the worker's /metrics): limits on slow and idle
// clients, and a stop that ends within the shutdown deadline (issue 14 items 5 and 6).
// - Slow headers and slow bodies: headersTimeout and requestTimeout (the whole request must
//   have arrived within WXGATE_REQUEST_TIMEOUT_MS; WeChat gives up after 5 s anyway), checked
//   every second rather than Node's 30 s, and an idle timeout while the headers or the body
//   are arriving (WXGATE_IDLE_TIMEOUT_MS without a byte). A request that has fully arrived is
//   never cut for being slow to answer: that is the handler's business.
// - Idle keep-alive connections: keepAliveTimeout (WXGATE_KEEPALIVE_TIMEOUT_MS), which must stay
//   above the upstream keepalive_timeout in nginx/nginx.conf so that nginx closes first.
// - Stopping: no new connections; every answer from then on carries `Connection: close`, so
//   busy keep-alive connections end after their current request (Node's server.close() alone
//   keeps serving them); idle ones are closed at once; at the deadline's cut whatever is still
//   open (a client sending 1 byte a second) is destroyed. node:http also stops enforcing its
//   request timeouts once close() is called, so the cut is the only bound left.
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { settledBy, type Deadline } from '../deadline.js';
import { ConfigError } from '../errors.js';

export interface HttpTimeouts {
  requestTimeoutMs: number;
  idleTimeoutMs: number;
  keepAliveTimeoutMs: number;
}

export interface HttpServer {
  readonly server: Server;
  /** Binds the port; one that is taken or not allowed is a ConfigError naming `portVariable`. */
  listen(port: number, host: string): Promise<AddressInfo>;
  /** Stops as described above; resolves with how many connections had to be destroyed at the cut. */
  close(deadline: Deadline): Promise<{ destroyed: number }>;
}

export interface HttpServerOptions {
  /** The variable that set the port, for the error when it is taken. */
  portVariable?: string;
}

type Handler = (req: IncomingMessage, res: ServerResponse) => Promise<unknown>;

function listenError(err: NodeJS.ErrnoException, portVariable: string, port: number, host: string): Error {
  if (err.code === 'EADDRINUSE') return new ConfigError(`${portVariable}=${port} is already in use on ${host}: stop the process that holds it (another wxgate?) or set ${portVariable} to a free port.`);
  if (err.code === 'EACCES') return new ConfigError(`${portVariable}=${port} may not be opened by this user on ${host}: use a port above 1023 (nginx listens on 80 and 443 in front).`);
  if (err.code === 'EADDRNOTAVAIL') return new ConfigError(`HOST=${host} is not an address of this machine: set HOST to one of its addresses, or 0.0.0.0.`);
  return err;
}

const connectionCount = (server: Server) => new Promise<number>((resolve) => server.getConnections((_err, n) => resolve(n ?? 0)));

export function createHttpServer(handler: Handler, { requestTimeoutMs, idleTimeoutMs, keepAliveTimeoutMs }: HttpTimeouts, { portVariable = 'PORT' }: HttpServerOptions = {}): HttpServer {
  // Answers whose handler is still running; the stop waits for them (a push being enqueued).
  const inflight = new Set<ServerResponse>();
  let stopping = false;
  let drained: (() => void) | undefined;
  const settle = (res: ServerResponse) => {
    inflight.delete(res);
    if (!stopping) return;
    // A keep-alive connection whose answer went out before the stop is idle now: close it.
    server.closeIdleConnections();
    if (inflight.size === 0) drained?.();
  };
  const server = createServer(
    {
      requestTimeout: requestTimeoutMs,
      headersTimeout: requestTimeoutMs,
      keepAliveTimeout: keepAliveTimeoutMs,
      connectionsCheckingInterval: Math.min(1000, Math.ceil(requestTimeoutMs / 4)),
    },
    (req, res) => {
      if (stopping) res.setHeader('Connection', 'close');
      inflight.add(res);
      handler(req, res).then(
        () => settle(res),
        () => settle(res),
      );
    },
  );
  // Without a byte for idleTimeoutMs, node:http emits 'timeout' (and with this listener no longer
  // destroys the socket itself): cut it unless its request has fully arrived and is being answered.
  server.timeout = idleTimeoutMs;
  server.on('timeout', (socket: Socket) => {
    for (const res of inflight) {
      if (res.socket === socket) {
        if (res.req.complete) return;
        break;
      }
    }
    socket.destroy();
  });

  return {
    server,
    async listen(port, host) {
      server.listen(port, host);
      try {
        await once(server, 'listening');
      } catch (err) {
        throw listenError(err as NodeJS.ErrnoException, portVariable, port, host);
      }
      return server.address() as AddressInfo;
    },
    async close({ cutAt, at }) {
      stopping = true;
      for (const res of inflight) if (!res.headersSent) res.setHeader('Connection', 'close');
      let destroyed = 0;
      if (server.listening) {
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeIdleConnections();
        if (!(await settledBy(closed, cutAt))) {
          destroyed = await connectionCount(server);
          server.closeAllConnections();
          await settledBy(closed, at);
        }
      }
      if (inflight.size > 0) await settledBy(new Promise<void>((resolve) => (drained = resolve)), at);
      return { destroyed };
    },
  };
}
