// A TCP proxy in front of a Redis that cuts the first connection at the first command sent
// after its handshake (the INFO reply has passed), then stops listening for `downMs`
// (connections refused, as from a stopped Redis): Redis gone in the instant after a client
// became ready. Not a mock: real Redis behind it.
import { once } from 'node:events';
import { connect, createServer, type Socket } from 'node:net';

export interface CuttingProxy {
  readonly url: string;
  /** Whether the cut has happened. */
  readonly cut: boolean;
  close(): Promise<void>;
}

export async function cuttingProxy(redisPort: number, { downMs = 1500 } = {}): Promise<CuttingProxy> {
  let cut = false;
  let closed = false;
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = connect(redisPort, '127.0.0.1');
    sockets.add(client).add(upstream);
    let handshakeDone = false;
    upstream.on('data', (data) => {
      if (data.includes('redis_version')) handshakeDone = true;
      client.write(data);
    });
    client.on('data', (data) => {
      if (handshakeDone && !cut) {
        cut = true;
        server.close();
        for (const s of sockets) s.destroy();
        setTimeout(() => {
          if (!closed) server.listen(port, '127.0.0.1');
        }, downMs);
        return;
      }
      upstream.write(data);
    });
    const end = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('close', end).on('error', end);
    upstream.on('close', end).on('error', end);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  return {
    url: `redis://127.0.0.1:${port}`,
    get cut() {
      return cut;
    },
    async close() {
      closed = true;
      for (const s of sockets) s.destroy();
      server.close();
    },
  };
}
