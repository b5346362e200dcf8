// A raw TCP client for the HTTP lifecycle tests: what it received, and whether the server closed
// it. Slow and stalled clients need bytes written by hand; node:http's client would not.
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';

export interface RawClient {
  readonly socket: Socket;
  /** Everything received so far. */
  received(): string;
  /** Resolves when the server has closed the connection (or reset it). */
  readonly closed: Promise<void>;
  isClosed(): boolean;
  /** Writes `byte` every `everyMs` until closed; returns a stop function. */
  trickle(byte: string, everyMs: number): () => void;
}

export async function rawClient(port: number, host = '127.0.0.1'): Promise<RawClient> {
  const socket = connect(port, host);
  await once(socket, 'connect');
  let data = '';
  let isClosed = false;
  socket.on('data', (d: Buffer) => (data += d.toString('latin1')));
  socket.on('error', () => undefined); // a reset counts as closed
  const closed = new Promise<void>((resolve) =>
    socket.once('close', () => {
      isClosed = true;
      resolve();
    }),
  );
  return {
    socket,
    received: () => data,
    closed,
    isClosed: () => isClosed,
    trickle(byte, everyMs) {
      const timer = setInterval(() => {
        if (!isClosed) socket.write(byte);
      }, everyMs);
      void closed.then(() => clearInterval(timer));
      return () => clearInterval(timer);
    },
  };
}

/** Resolves when `p` does; rejects with `what` after `ms` (a bound that only detects "never"). */
export function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms);
    p.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (err: unknown) => {
        clearTimeout(timer);
        reject(err instanceof Error ? err : new Error(String(err)));
      },
    );
  });
}
