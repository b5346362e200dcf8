// The worker's half of a passive reply (issue 17; the receiver's half is passive-slot.ts): the
// handler's first reply goes to the receiver that holds the push's request, if one still waits.
// One script decides, so that the reply has exactly one owner:
//   handed  a receiver waited: the slot is taken and the reply published on its channel
//   held    none waited, retry mode: the reply is kept for WeChat's next delivery of the push
//   absent  none waited, or the one that did is gone (its channel has no subscriber): the
//           caller's fallback (customer service in `auto`, dropped in `passive`)
//   done    an earlier run of this job already handed or held its first reply: nothing to do
import type { RedisConnection } from '../redis.js';
import { createLuaScript } from '../worker/lua-script.js';
import { passiveKeys, type HandOver } from './passive-slot.js';

export type HandOverOutcome = 'handed' | 'held' | 'absent' | 'done';

export interface PassiveHandOver {
  offer(dedupKey: string, handOver: HandOver, options: { retries: boolean }): Promise<HandOverOutcome>;
}

// KEYS: slot, held, done. ARGV: the hand-over (JSON), retry mode (1/0), held TTL, done TTL (ms).
// The published message is "<waiter> <JSON>": the slot's value is "<channel> <waiter>".
const OFFER = `
if redis.call('EXISTS', KEYS[3]) == 1 then return 'done' end
local v = redis.call('GET', KEYS[1])
if v then
  local sp = string.find(v, ' ', 1, true)
  redis.call('DEL', KEYS[1])
  -- No subscriber: the receiver died during its wait. Nobody will answer with it: the fallback.
  if redis.call('PUBLISH', string.sub(v, 1, sp - 1), string.sub(v, sp + 1) .. ' ' .. ARGV[1]) > 0 then
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
/** Longer than a job's retries after a crash or an error take (lock + stalled check, backoff). */
const DONE_TTL_MS = 10 * 60_000;

export function createPassiveHandOver({ redis }: { redis: RedisConnection }, { prefix }: { prefix: string }): PassiveHandOver {
  const script = createLuaScript({ redis }, { source: OFFER });
  return {
    async offer(dedupKey, handOver, { retries }) {
      const { slot, held, done } = passiveKeys(prefix, dedupKey);
      return (await script.run([slot, held, done], [JSON.stringify(handOver), retries ? '1' : '0', HELD_TTL_MS, DONE_TTL_MS])) as HandOverOutcome;
    },
  };
}
