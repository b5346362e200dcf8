// The worker's half of a passive reply (issue 17; the receiver's half is passive-slot.ts): the
// handler's first reply goes to the receiver that holds the push's request, if one still waits.
// One script decides, so that the reply has exactly one owner:
//   handed  a receiver waited: the slot is taken and the reply published on its channel
//   held    none waited, retry mode: the reply is kept for WeChat's next delivery of the push
//   absent  none waited, or the one that did is gone (its channel has no subscriber): the
//           caller's fallback (customer service in `auto`, dropped in `passive`)
//   done    an earlier run of this job already handed or held its first reply: nothing to do
import { Cluster } from 'ioredis';
import type { RedisConnection } from '../redis.js';
import { SEND_MARKER_TTL_MS } from '../worker/send-marker.js';
import { createLuaScript } from '../worker/lua-script.js';
import { passiveKeys, type HandOver } from './passive-slot.js';

export type HandOverOutcome = 'handed' | 'held' | 'absent' | 'done';

export interface PassiveHandOver {
  offer(dedupKey: string, handOver: HandOver, options: { retries: boolean }): Promise<HandOverOutcome>;
}

// KEYS: slot, held, done. ARGV: the hand-over (JSON), retry mode (1/0), held TTL, done TTL (ms),
// trust the slot (1/0). The published message is "<waiter> <JSON>": the slot's value is
// "<channel> <waiter>".
// PUBLISH's count tells a receiver that died mid-wait (no subscriber) from one that waits — on
// one Redis. On Redis Cluster it counts only the subscribers of the node the script runs on, while
// the message still reaches the receiver subscribed on another node: there a count of 0 sent a
// reply passively and through customer service both. So on a cluster the slot alone decides: a
// receiver that died mid-wait then takes its first reply with it (auto: not sent by customer
// service), which is rare, where the count's error was every push of a receiver on another node.
// https://redis.io/docs/latest/develop/interact/pubsub/#pubsub-and-the-cluster
const OFFER = `
if redis.call('EXISTS', KEYS[3]) == 1 then return 'done' end
local v = redis.call('GET', KEYS[1])
if v then
  local sp = string.find(v, ' ', 1, true)
  redis.call('DEL', KEYS[1])
  -- No subscriber: the receiver died during its wait. Nobody will answer with it: the fallback.
  if redis.call('PUBLISH', string.sub(v, 1, sp - 1), string.sub(v, sp + 1) .. ' ' .. ARGV[1]) > 0 or ARGV[5] == '1' then
    redis.call('SET', KEYS[3], '1', 'PX', ARGV[4])
    return 'handed'
  end
end
if ARGV[2] == '1' then
  redis.call('SET', KEYS[2], ARGV[1], 'PX', ARGV[3])
  redis.call('SET', KEYS[3], '1', 'PX', ARGV[4])
  return 'held'
end
return 'absent'`;

/** WeChat's deliveries of one push lie within about 15 s; a held reply waits that long for one. */
const HELD_TTL_MS = 20_000;
/**
 * As long as the job can run again — its retries, and `wxgate dlq retry` of a failed job (kept 7
 * days) — as the send marker: a run after that finds `done` and does not send the first reply
 * again through customer service. (10 minutes let a dead-letter retry send it twice.)
 */
const DONE_TTL_MS = SEND_MARKER_TTL_MS;

export function createPassiveHandOver({ redis }: { redis: RedisConnection }, { prefix }: { prefix: string }): PassiveHandOver {
  const script = createLuaScript({ redis }, { source: OFFER });
  const trustSlot = redis instanceof Cluster ? '1' : '0';
  return {
    async offer(dedupKey, handOver, { retries }) {
      const { slot, held, done } = passiveKeys(prefix, dedupKey);
      return (await script.run([slot, held, done], [JSON.stringify(handOver), retries ? '1' : '0', HELD_TTL_MS, DONE_TTL_MS, trustSlot])) as HandOverOutcome;
    },
  };
}
