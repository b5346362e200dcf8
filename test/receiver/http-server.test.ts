// The receiver's HTTP server (src/receiver/http-server.ts) with a handler of the test's own: an
// answer in flight when the stop begins carries Connection: close, the stop waits for it; a
// request that has fully arrived is never cut by the idle timeout while it is being answered;
// a port in use is a ConfigError naming the variable.
import { once } from 'node:events';
import { createServer as createNetServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { deadlineIn } from '../../src/deadline.js';
import { ConfigError } from '../../src/errors.js';
import { createHttpServer } from '../../src/receiver/http-server.js';
import { rawClient, within } from '../helpers/raw-client.js';

const TIMEOUTS = { requestTimeoutMs: 5000, idleTimeoutMs: 200, keepAliveTimeoutMs: 5000 };

describe('createHttpServer', () => {
  it('a slow answer is not cut by the idle timeout; one in flight at the stop gets Connection: close and is waited for', async () => {
    const http = createHttpServer(async (_req, res) => {
      await sleep(800); // four idle timeouts without a byte on the socket
      res.end('done');
    }, TIMEOUTS);
    const { port } = await http.listen(0, '127.0.0.1');
    const c = await rawClient(port);
    c.socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    await sleep(300);
    const closed = http.close(deadlineIn(5000));
    await within(c.closed, 10_000, 'the connection closed after its answer');
    expect(c.received()).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(c.received()).toMatch(/\r\nConnection: close\r\n/i);
    expect(c.received()).toMatch(/done$/);
    expect(await closed).toEqual({ destroyed: 0 });
  });

  it('a port in use is a ConfigError naming the variable', async () => {
    const taken = createNetServer().listen(0, '127.0.0.1');
    await once(taken, 'listening');
    const port = (taken.address() as { port: number }).port;
    try {
      const http = createHttpServer(async () => undefined, TIMEOUTS, { portVariable: 'WXGATE_METRICS_PORT' });
      const err = await http.listen(port, '127.0.0.1').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as Error).message).toContain(`WXGATE_METRICS_PORT=${port}`);
    } finally {
      taken.close();
    }
  });
});
