// The receiver's wait for a passive reply and the worker's hand-over, against real Redis: a reply
// has exactly one owner whatever the timing — the waiting request, or the worker's fallback.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPassiveHandOver } from '../../src/queue/passive-hand-over.js';
import { createPassiveSlots, GRACE_MS, passiveKeys, type PassiveSlots } from '../../src/queue/passive-slot.js';
import { createRedis, type RedisConnection } from '../../src/redis.js';
import { reply } from '../../src/worker/replies.js';
import { captureLogs } from '../helpers/log-capture.js';
import { deleteKeys, REDIS_URL, testPrefix } from '../helpers/redis-keys.js';

const prefix = testPrefix('passive');
let redis: RedisConnection;
let slots: PassiveSlots;
const logs = captureLogs();
const handOver = () => createPassiveHandOver({ redis }, { prefix });
let n = 0;
const key = () => `m_wxslot_${Date.now()}${n++}`;

beforeAll(async () => {
  redis = createRedis(REDIS_URL, 'producer');
  await new Promise((r) => redis.once('ready', r));
  slots = createPassiveSlots({ redis, subscriber: createRedis(REDIS_URL, 'worker'), logger: logs.logger }, { prefix });
  await slots.start();
});
afterAll(async () => {
  await slots?.close();
  await deleteKeys(prefix);
  redis?.disconnect();
});

describe('passive slots', () => {
  it('the worker hands the reply to the waiting request', async () => {
    const k = key();
    const slot = slots.open(k, { retries: false })!;
    const waiting = slot.wait(5000);
    await new Promise((r) => setTimeout(r, 20));
    expect(await handOver().offer(k, { reply: reply.text('hi'), at: Date.now() }, { retries: false })).toBe('handed');
    expect(await waiting).toMatchObject({ outcome: 'reply', reply: { msgtype: 'text', text: { content: 'hi' } }, handOverMs: expect.any(Number) });
    // Handed once: a handler run again does not hand it over, nor fall back.
    expect(await handOver().offer(k, { reply: reply.text('again') }, { retries: false })).toBe('done');
    // For as long as the job can run again, `wxgate dlq retry` of a failed job (kept 7 days)
    // included: 10 minutes let a dead-letter retry send the first reply again by customer service.
    expect(await redis.pttl(passiveKeys(prefix, k).done)).toBeGreaterThan(7 * 24 * 3600_000);
  });

  it('a hand-over that comes before the request starts waiting is kept for it', async () => {
    const k = key();
    const slot = slots.open(k, { retries: false })!;
    expect(await handOver().offer(k, { none: true }, { retries: false })).toBe('handed');
    expect(await slot.wait(5000)).toEqual({ outcome: 'none' });
  });

  it('the wait runs out: the slot is released, so the worker falls back', async () => {
    const k = key();
    expect(await slots.open(k, { retries: false })!.wait(50)).toEqual({ outcome: 'timeout', delivery: undefined });
    expect(await redis.exists(passiveKeys(prefix, k).slot)).toBe(0);
    expect(await handOver().offer(k, { reply: reply.text('late') }, { retries: false })).toBe('absent');
  });

  it('the worker takes the slot as the wait runs out: the message in flight is still answered', async () => {
    const k = key();
    const slot = slots.open(k, { retries: false })!;
    const waiting = slot.wait(50);
    // Taken but not yet published (the script does both at once; this stretches the instant between).
    await new Promise((r) => setTimeout(r, 10));
    const value = await redis.get(passiveKeys(prefix, k).slot);
    await redis.del(passiveKeys(prefix, k).slot);
    const [channel, waiter] = value!.split(' ');
    setTimeout(() => void redis.publish(channel!, `${waiter} ${JSON.stringify({ reply: reply.text('just in time') })}`), 60 + GRACE_MS / 4);
    expect(await waiting).toMatchObject({ outcome: 'reply', reply: { text: { content: 'just in time' } } });
  });

  it('the slot taken and nothing published (a worker that died in that instant): timeout after the grace, no hang', async () => {
    const k = key();
    const waiting = slots.open(k, { retries: false })!.wait(30);
    await new Promise((r) => setTimeout(r, 5));
    await redis.del(passiveKeys(prefix, k).slot);
    expect(await waiting).toMatchObject({ outcome: 'timeout' });
  });

  it('a release that fails as the wait runs out (its connection resetting) still takes a reply handed over in the grace', async () => {
    const own = createRedis(REDIS_URL, 'producer');
    await new Promise((r) => own.once('ready', r));
    own.on('error', () => undefined);
    const mine = createPassiveSlots({ redis: own, subscriber: createRedis(REDIS_URL, 'worker'), logger: logs.logger }, { prefix });
    await mine.start();
    try {
      const k = key();
      const waiting = mine.open(k, { retries: false })!.wait(100);
      await new Promise((r) => setTimeout(r, 60));
      own.disconnect(true); // the release at 100 ms fails: not ready, and no offline queue
      // The slot is still there: the worker takes it just after the wait ran out.
      setTimeout(() => void handOver().offer(k, { reply: reply.text('after a failed release'), at: Date.now() }, { retries: false }), 100 + GRACE_MS / 4);
      expect(await waiting).toMatchObject({ outcome: 'reply', reply: { text: { content: 'after a failed release' } } });
    } finally {
      await mine.close();
      own.disconnect();
    }
  });

  it('a slot whose receiver is gone (no subscriber on its channel): the worker falls back', async () => {
    const k = key();
    await redis.set(passiveKeys(prefix, k).slot, `${prefix}:passive:ch:nobody 1`, 'PX', 5000);
    expect(await handOver().offer(k, { reply: reply.text('to nobody') }, { retries: false })).toBe('absent');
    expect(await redis.exists(passiveKeys(prefix, k).done)).toBe(0);
  });

  it('a spooled push cancels its slot', async () => {
    const k = key();
    slots.open(k, { retries: false })!.cancel();
    await new Promise((r) => setTimeout(r, 50));
    expect(await redis.exists(passiveKeys(prefix, k).slot)).toBe(0);
  });

  it('retry mode: a reply ready after the wait is held, and the next delivery answers with it at once', async () => {
    const k = key();
    expect(await slots.open(k, { retries: true })!.wait(30)).toEqual({ outcome: 'timeout', delivery: 1 });
    expect(await handOver().offer(k, { reply: reply.text('held') }, { retries: true })).toBe('held');
    expect(await slots.open(k, { retries: true })!.wait(5000)).toMatchObject({ outcome: 'reply', heldForRetry: true, reply: { text: { content: 'held' } } });
  });

  it('retry mode counts the deliveries of one push', async () => {
    const k = key();
    const deliveries = [];
    for (let i = 0; i < 3; i += 1) deliveries.push(await slots.open(k, { retries: true })!.wait(10));
    expect(deliveries.map((d) => (d.outcome === 'timeout' ? d.delivery : undefined))).toEqual([1, 2, 3]);
  });

  it('no slot while the subscription is not up: the push is answered without a wait', () => {
    const idle = createPassiveSlots({ redis, subscriber: createRedis(REDIS_URL, 'worker', { lazyConnect: true }), logger: logs.logger }, { prefix });
    expect(idle.open(key(), { retries: false })).toBeUndefined();
    void idle.close();
  });
});
