// The receiver's half of a passive reply (issue 17): after the durable add, the request waits for
// the handler's first reply, which the worker hands over on a Redis channel of this receiver
// process. No polling: one SET marks the waiting slot (it leaves in the same write as the add,
// ahead of it, so a handler quicker than the receiver's next round trip still finds it), and the
// reply arrives as one pub/sub message. The worker's side is passive-hand-over.ts.
//
// The slot key holds "<channel> <waiter>" for a short TTL. The hand-over script takes it (GET, DEL,
// PUBLISH in one step); a receiver whose wait ran out deletes it only if it is still its own. If it
// is gone, the worker took it in that instant and the message is already on its way: the receiver
// waits a little longer (GRACE_MS) for it. Either way a reply has exactly one owner: the receiver's
// answer, or the worker's fallback (customer service in `auto`, a `reply_too_late` line in `passive`).
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { RedisConnection } from '../redis.js';
import type { Logger } from '../logger.js';
import type { Reply } from '../worker/replies.js';
import { createLuaScript } from '../worker/lua-script.js';

/** What the worker hands over: the first reply, or word that there is none to wait for. */
export type HandOver = ({ readonly reply: Reply } | { readonly none: true }) & {
  /** Epoch ms when the worker published it: the receiver logs the hand-over's time from it. */
  readonly at?: number;
};

export type WaitResult =
  | { readonly outcome: 'reply'; readonly reply: Reply; readonly heldForRetry?: boolean; readonly handOverMs?: number }
  | { readonly outcome: 'none' }
  /** `delivery`: which delivery of this push this was (retry mode only: 1, 2, 3). */
  | { readonly outcome: 'timeout'; readonly delivery?: number };

export interface PassiveSlot {
  /** Resolves with the hand-over, or `timeout` once `ms` (plus the grace) has passed. Never rejects. */
  wait(ms: number): Promise<WaitResult>;
  /**
   * No wait after all (the push was spooled): the slot is released. Returns a hand-over that came
   * already — the add reached Redis and a worker replied before the store gave up on it (a replica
   * wait that failed, an add answered after its bound): that reply is the push's to answer with,
   * since the worker counts it handed and sends nothing else.
   */
  cancel(): HandOver | undefined;
}

export interface PassiveSlots {
  /** Subscribes to this process's channel; resolves once subscribed, or after `timeoutMs` without Redis (slots open once it is back). */
  start(timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
  /**
   * Marks the slot of `dedupKey` now, in this turn's write: call it just before the push's add.
   * Undefined while the subscription is down: the push is answered `success` without a wait.
   * `retries`: passive retry mode, where a reply the worker held for a later delivery is picked up.
   */
  open(dedupKey: string, options: { retries: boolean }): PassiveSlot | undefined;
  /** Why open() gives no slot right now (the receive line's `waitSkipped`), undefined when it would give one. */
  unavailable(): SlotUnavailable | undefined;
}

/** no_subscription: this receiver's hand-over channel is not subscribed (not yet, or lost with its connection); redis_not_ready: the command connection is down. */
export type SlotUnavailable = 'no_subscription' | 'redis_not_ready';

// The push's keys share one hash tag, its dedup key, so the hand-over script's keys sit in one
// slot on Redis Cluster (docs/redis-cluster.md) while pushes still spread over the slots. Under a
// prefix that carries a tag of its own (`{wxgate}`) the prefix's tag wins: one slot, as before.
export const passiveKeys = (prefix: string, dedupKey: string) => ({
  slot: `${prefix}:passive:slot:{${dedupKey}}`,
  /** A reply held for WeChat's next delivery (retry mode). */
  held: `${prefix}:passive:held:{${dedupKey}}`,
  /** Set once a reply was handed over or held: a handler run again does not reply twice. */
  done: `${prefix}:passive:done:{${dedupKey}}`,
  /** Deliveries seen (retry mode). */
  deliveries: `${prefix}:passive:n:{${dedupKey}}`,
});

/** The hand-over message in flight when the wait ran out; bounded so the answer still fits in WeChat's 5 s. */
export const GRACE_MS = 200;
/** How long the slot outlives the longest wait: a receiver that died mid-wait leaves nothing for long. */
const SLOT_EXTRA_MS = 1000;
/** WeChat's three deliveries lie within about 15 s. */
const DELIVERIES_TTL_MS = 60_000;

const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;

export function parseHandOver(json: string): HandOver | undefined {
  try {
    const v = JSON.parse(json) as HandOver;
    return v && typeof v === 'object' && ('reply' in v || 'none' in v) ? v : undefined;
  } catch {
    return undefined;
  }
}

export interface PassiveSlotsDeps {
  /** Commands: the receiver's producer connection (fails fast while Redis is away). */
  redis: RedisConnection;
  /** A connection of its own for SUBSCRIBE (ioredis re-subscribes after a reconnect). */
  subscriber: RedisConnection;
  logger: Logger;
}

export function createPassiveSlots({ redis, subscriber, logger }: PassiveSlotsDeps, { prefix, maxWaitMs = 4500 }: { prefix: string; maxWaitMs?: number }): PassiveSlots {
  const log = logger.child({ layer: 'receive' });
  const channel = `${prefix}:passive:ch:${randomUUID()}`;
  const waiters = new Map<string, (h: HandOver) => void>();
  const release = createLuaScript({ redis }, { source: RELEASE });
  // Slots open only while the subscription stands: after the first SUBSCRIBE, and again after
  // each reconnect (ioredis subscribes again before it reports 'ready').
  let subscribed = false;
  let started = false;
  let seq = 0;

  subscriber.on('message', (_channel: string, message: string) => {
    const space = message.indexOf(' ');
    const handOver = space > 0 ? parseHandOver(message.slice(space + 1)) : undefined;
    const resolve = space > 0 ? waiters.get(message.slice(0, space)) : undefined;
    if (handOver && resolve) return resolve(handOver);
    log.warn({ code: 'passive_reply_unclaimed' }, 'a reply was handed over to a request that no longer waits: it is not delivered');
  });
  subscriber.on('ready', () => {
    subscribed = started;
  });
  subscriber.on('close', () => {
    subscribed = false;
  });
  subscriber.on('error', (err) => log.debug({ err: err.message }, 'passive subscriber connection error'));

  function unavailable(): SlotUnavailable | undefined {
    if (!subscribed) return 'no_subscription';
    return redis.status === 'ready' ? undefined : 'redis_not_ready';
  }

  function open(dedupKey: string, { retries }: { retries: boolean }): PassiveSlot | undefined {
    if (unavailable() !== undefined) return undefined;
    const keys = passiveKeys(prefix, dedupKey);
    const waiter = String(++seq);
    const value = `${channel} ${waiter}`;
    let arrived: ((h: HandOver) => void) | undefined;
    let early: HandOver | undefined;
    waiters.set(waiter, (h) => (arrived ? arrived(h) : (early = h)));
    const marked = redis.set(keys.slot, value, 'PX', maxWaitMs + SLOT_EXTRA_MS);
    marked.catch(() => undefined);
    // Retry mode: a reply the worker held since an earlier delivery, and which delivery this is.
    const earlier = retries ? Promise.all([redis.get(keys.held), redis.incr(keys.deliveries), redis.pexpire(keys.deliveries, DELIVERIES_TTL_MS)]) : undefined;
    earlier?.catch(() => undefined);
    // true: released while still ours, so nobody will publish. A release that fails (the
    // connection resetting) tells nothing: the worker may take the slot now, so the wait gives
    // its message the grace, as when the slot is gone (read as ours, the reply was lost).
    const releaseSlot = () => release.run([keys.slot], [value]).then((n) => n === 1, () => false);
    const done = () => waiters.delete(waiter);

    return {
      cancel() {
        done();
        void releaseSlot();
        return early;
      },
      async wait(ms) {
        let delivery: number | undefined;
        try {
          await marked;
          if (earlier) {
            const [held, n] = await earlier;
            delivery = n;
            const h = held === null ? undefined : parseHandOver(held);
            if (h) {
              done();
              await releaseSlot();
              return 'reply' in h ? { outcome: 'reply', reply: h.reply, heldForRetry: true } : { outcome: 'none' };
            }
          }
        } catch {
          done();
          return { outcome: 'timeout', delivery };
        }
        const handOver = await new Promise<HandOver | undefined>((resolve) => {
          if (early) return resolve(early);
          const timer = setTimeout(async () => {
            // Still ours: nobody will publish. Gone: the worker took it; its message is in flight.
            if (await releaseSlot()) return resolve(undefined);
            setTimeout(() => resolve(undefined), GRACE_MS).unref();
          }, ms);
          arrived = (h) => {
            clearTimeout(timer);
            resolve(h);
          };
        });
        done();
        if (!handOver) return { outcome: 'timeout', delivery };
        if (!('reply' in handOver)) return { outcome: 'none' };
        return { outcome: 'reply', reply: handOver.reply, handOverMs: handOver.at === undefined ? undefined : Math.round(Math.max(0, performance.timeOrigin + performance.now() - handOver.at) * 100) / 100 };
      },
    };
  }

  return {
    open,
    unavailable,
    async start(timeoutMs = 5000) {
      const subscribing = subscriber.subscribe(channel).then(() => {
        started = true;
        subscribed = subscriber.status === 'ready';
      });
      subscribing.catch(() => undefined);
      await Promise.race([subscribing, new Promise((r) => setTimeout(r, timeoutMs).unref())]);
    },
    async close() {
      for (const resolve of waiters.values()) resolve({ none: true });
      waiters.clear();
      subscriber.disconnect();
    },
  };
}
