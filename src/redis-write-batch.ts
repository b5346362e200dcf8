// ioredis writes every command to its socket at once: one write(2) per command, each a trip
// through the kernel's TCP stack and a wake-up of Redis. Under load the receiver issues many
// adds in one event-loop turn (one per push that turn read), so it corks the socket at the
// first and uncorks it when the turn's I/O callbacks are done: the turn's commands leave in
// one writev(2). Nothing waits longer than the rest of the current turn, and the order of
// commands is unchanged. (ioredis's enableAutoPipelining does this through a Pipeline object
// per tick; on loopback that halved BullMQ's add throughput here — issue 2.)
import type { Socket } from 'node:net';
import type { Redis } from 'ioredis';

/** Call before issuing a command: the commands of this turn go out together. */
export type WriteBatch = () => void;

export function createWriteBatch(redis: Redis): WriteBatch {
  let corked: Socket | undefined;
  const flush = () => {
    const stream = corked;
    corked = undefined;
    stream?.uncork();
  };
  return () => {
    if (corked !== undefined) return;
    const stream = (redis as unknown as { stream?: Socket }).stream;
    if (stream === undefined || redis.status !== 'ready') return;
    corked = stream;
    stream.cork();
    // setImmediate runs after the poll phase: every push read in this turn has issued its add.
    setImmediate(flush);
  };
}
