// Every command on the worker's shared connection goes through createWriteBatch (the receiver's
// one-writev-per-turn, src/redis-write-batch.ts): under load one event-loop turn resolves many
// replies at once and their jobs issue their next commands (BullMQ's finish and fetch scripts,
// the quota and admission scripts, the reply adds) in that same turn. Corked, they leave in one
// writev(2) and wake Redis once, instead of a write(2) and a wake-up each. The worker issues its
// commands from inside BullMQ, so the batch is armed in sendCommand, the one door they all pass.
import type { Redis } from 'ioredis';
import { createWriteBatch } from '../redis-write-batch.js';

export function batchWrites(redis: Redis): Redis {
  const batch = createWriteBatch(redis);
  const send = redis.sendCommand;
  redis.sendCommand = function (this: Redis, ...args: Parameters<Redis['sendCommand']>) {
    batch();
    return send.apply(this, args);
  } as Redis['sendCommand'];
  return redis;
}
