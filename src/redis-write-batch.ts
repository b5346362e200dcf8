// ioredis writes every command to its socket at once: one write(2) per command, each a trip
// through the kernel's TCP stack and a wake-up of Redis. Under load one event-loop turn issues
// many commands (the receiver: an add per push read that turn; the worker: BullMQ's finish and
// fetch scripts, the quota and admission scripts, the reply adds of the jobs the turn resolved).
// A write batch corks the connection's socket at the first command of a turn and uncorks it when
// the turn's I/O callbacks are done: the turn's commands leave in one writev(2). Nothing waits
// longer than the rest of the current turn, and the order of commands is unchanged. (ioredis's
// enableAutoPipelining does this through a Pipeline object per tick; on loopback that halved
// BullMQ's add throughput here — issue 2.)
// Both the receiver's producer connection and the worker's connection are wrapped by
// batchWrites (sendCommand is the one door every command passes, BullMQ's included).
// A cluster client is left as it is: its commands go out over one connection per node.
import type { Socket } from 'node:net';
import { Redis } from 'ioredis';
import type { RedisConnection } from './redis.js';

/** The same connection, every command of one turn sent in one write. */
export function batchWrites<T extends RedisConnection>(conn: T): T {
  if (!(conn instanceof Redis)) return conn;
  const redis: Redis = conn;
  let corked: Socket | undefined;
  const flush = () => {
    const stream = corked;
    corked = undefined;
    stream?.uncork();
  };
  // Corks the socket at the first command of a turn, once per turn.
  const batch = () => {
    if (corked !== undefined) return;
    const stream = (redis as unknown as { stream?: Socket }).stream;
    if (stream === undefined || redis.status !== 'ready') return;
    corked = stream;
    stream.cork();
    // setImmediate runs after the poll phase: every command of this turn has been written.
    setImmediate(flush);
  };
  const send = redis.sendCommand;
  redis.sendCommand = function (this: Redis, ...args: Parameters<Redis['sendCommand']>) {
    batch();
    return send.apply(this, args);
  } as Redis['sendCommand'];
  return conn;
}
