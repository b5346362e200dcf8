import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { createReplyQuota } from '../../src/worker/quota.js';
import { createSendAdmission } from '../../src/worker/send-admission.js';
import { deleteKeys, REDIS_URL, testPrefix } from '../helpers/redis-keys.js';
import { redisKeys } from '../../src/redis-keys.js';

const prefix = testPrefix('admit');
const redis = new Redis(REDIS_URL);
afterAll(async () => {
  await deleteKeys(prefix);
  redis.disconnect();
});

const quota = createReplyQuota({ redis }, { keys: redisKeys({ prefix }), messageReplies: 5, messageWindowS: 48 * 3600, eventReplies: 3, eventWindowS: 60 });
let n = 0;
const user = () => `oAdmit${++n}`;

describe('send admission: reply quota then rate limit, one round trip', () => {
  it('counts the reply once per job id and takes a rate token only when the quota grants the send', async () => {
    // One token per 100 s: the second granted send waits however slow this machine is.
    const admission = createSendAdmission({ redis }, { keys: redisKeys({ prefix }), ratePerSecond: 0.01, burst: 1 });
    const [u, v] = [user(), user()];
    const none = createReplyQuota({ redis }, { keys: redisKeys({ prefix }), messageReplies: 0, messageWindowS: 60, eventReplies: 0, eventWindowS: 60 });
    await none.open('wxA', v, { kind: 'message', stampMs: Date.now(), origin: 'm0' });
    await expect(admission.admit('wxA', v, 'j0')).rejects.toMatchObject({ code: 'quota_exhausted' });
    const opened = await quota.open('wxA', u, { kind: 'event', stampMs: Date.now(), origin: 'e1' });
    expect(opened).toMatchObject({ kind: 'event', allowed: 3, remaining: 3 });
    // The refusal above took no rate token: this send goes now.
    expect(await admission.admit('wxA', u, 'j1')).toMatchObject({ waitMs: 0, window: { kind: 'event', remaining: 2 } });
    const second = await admission.admit('wxA', u, 'j2');
    expect(second.window!.remaining).toBe(1);
    expect(second.waitMs).toBeGreaterThan(0);
    expect(second.waitMs).toBeLessThanOrEqual(100_000);
    // Retried after its wait: counted already, not again.
    expect((await admission.admit('wxA', u, 'j2')).window!.remaining).toBe(1);
    expect((await quota.peek('wxA', u))!.remaining).toBe(1);
  });

  it('refuses a used-up window, and typing (count: false) uses none of it', async () => {
    const admission = createSendAdmission({ redis }, { keys: redisKeys({ prefix: `${prefix}:b` }), ratePerSecond: 1000 });
    const q = createReplyQuota({ redis }, { keys: redisKeys({ prefix: `${prefix}:b` }), messageReplies: 1, messageWindowS: 60, eventReplies: 1, eventWindowS: 60 });
    const u = user();
    await q.open('wxA', u, { kind: 'message', stampMs: Date.now(), origin: 'm1' });
    expect(await admission.admit('wxA', u, 't', { count: false })).toMatchObject({ waitMs: 0, window: { remaining: 1 } });
    expect((await admission.admit('wxA', u, 'a')).window!.remaining).toBe(0);
    await expect(admission.admit('wxA', u, 'b')).rejects.toMatchObject({ code: 'quota_exhausted' });
  });

  it('no quota record (never opened, or lost with Redis\'s data) is unknown, not closed: admitted, the rate token taken', async () => {
    // Issue 14: after a flush every running handler's reply failed with quota_no_window.
    const admission = createSendAdmission({ redis }, { keys: redisKeys({ prefix: `${prefix}:u` }), ratePerSecond: 0.01, burst: 1 });
    const u = user();
    expect(await admission.admit('wxA', u, 'j1')).toEqual({ window: null, waitMs: 0 });
    expect(await admission.admit('wxA', u, 't', { count: false })).toMatchObject({ window: null });
    expect((await admission.admit('wxA', u, 'j2')).waitMs).toBeGreaterThan(0);
  });

  it("the rate limit per appid: a second's worth goes through, then the wait; other accounts are not held back", async () => {
    const p = `${prefix}:r`;
    // One token per 100 s: the second call waits however slow this machine is.
    const admission = createSendAdmission({ redis }, { keys: redisKeys({ prefix: p }), ratePerSecond: 0.01, burst: 1 });
    const q = createReplyQuota({ redis }, { keys: redisKeys({ prefix: p }), messageReplies: 5, messageWindowS: 60, eventReplies: 3, eventWindowS: 60 });
    const [a, b] = [user(), user()];
    for (const [appid, u] of [['wxA', a], ['wxB', b]] as const) await q.open(appid, u, { kind: 'message', stampMs: Date.now(), origin: `m-${u}` });
    expect((await admission.admit('wxA', a, 'r1')).waitMs).toBe(0);
    const wait = (await admission.admit('wxA', a, 'r2')).waitMs;
    expect(wait).toBeGreaterThan(0);
    expect(wait).toBeLessThanOrEqual(100_000);
    expect((await admission.admit('wxB', b, 'r1')).waitMs).toBe(0);
  });

  it('a bucket of N lets N sends through at once', async () => {
    const p = `${prefix}:n`;
    const admission = createSendAdmission({ redis }, { keys: redisKeys({ prefix: p }), ratePerSecond: 0.001, burst: 3 });
    const q = createReplyQuota({ redis }, { keys: redisKeys({ prefix: p }), messageReplies: 5, messageWindowS: 60, eventReplies: 3, eventWindowS: 60 });
    const u = user();
    await q.open('wxC', u, { kind: 'message', stampMs: Date.now(), origin: 'm1' });
    const waits = [];
    for (let i = 0; i < 4; i += 1) waits.push((await admission.admit('wxC', u, `n${i}`)).waitMs);
    expect(waits.slice(0, 3)).toEqual([0, 0, 0]);
    expect(waits[3]).toBeGreaterThan(0);
  });
});
