import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { createReplyQuota } from '../../src/worker/quota.js';
import { createSendAdmission } from '../../src/worker/send-admission.js';
import { deleteKeys, REDIS_URL, testPrefix } from '../helpers/redis-keys.js';
import { redisKeys } from '../../src/redis-keys.js';

const prefix = testPrefix('quota');
const redis = new Redis(REDIS_URL);
afterAll(async () => {
  await deleteKeys(prefix);
  redis.disconnect();
});

const quota = createReplyQuota({ redis }, { keys: redisKeys({ prefix }), messageReplies: 5, messageWindowS: 48 * 3600, eventReplies: 3, eventWindowS: 60 });
// Replies are counted by the send admission script; a rate too high to ever wait.
const admission = createSendAdmission({ redis }, { keys: redisKeys({ prefix }), ratePerSecond: 1e9 });
const take = (appid: string, openid: string, jobId: string, options?: { count?: boolean }) => admission.admit(appid, openid, jobId, options);
const now = () => Date.now();
let n = 0;
const user = () => `oQuota${++n}`;

async function takeAll(appid: string, openid: string, count: number, tag = 'j') {
  const out: string[] = [];
  for (let i = 0; i < count; i += 1) {
    out.push(await take(appid, openid, `${tag}${i}`).then(() => 'ok', (e: { code: string }) => e.code));
  }
  return out;
}

describe('reply quota', () => {
  it('a message opens 5 replies; the sixth is quota_exhausted', async () => {
    const u = user();
    await quota.open('wxA', u, { kind: 'message', stampMs: now(), origin: 'm1' });
    expect(await quota.peek('wxA', u)).toMatchObject({ kind: 'message', allowed: 5, remaining: 5 });
    expect(await takeAll('wxA', u, 6)).toEqual(['ok', 'ok', 'ok', 'ok', 'ok', 'quota_exhausted']);
  });

  it('a reply retried under the same job id is counted once', async () => {
    const u = user();
    await quota.open('wxA', u, { kind: 'event', stampMs: now(), origin: 'e1' });
    for (let i = 0; i < 4; i += 1) await take('wxA', u, 'same');
    expect((await quota.peek('wxA', u))!.remaining).toBe(2);
  });

  it('typing (count: false) uses none of the window', async () => {
    const u = user();
    await quota.open('wxA', u, { kind: 'event', stampMs: now(), origin: 'e1' });
    await take('wxA', u, 't', { count: false });
    expect((await quota.peek('wxA', u))!.remaining).toBe(3);
  });

  it('no record: the window is unknown and the reply goes (WeChat decides); an interaction older than its window opens nothing', async () => {
    const u = user();
    expect(await takeAll('wxA', u, 2)).toEqual(['ok', 'ok']);
    expect(await take('wxA', u, 'j9')).toMatchObject({ window: null });
    const v = user();
    await quota.open('wxA', v, { kind: 'event', stampMs: now() - 61_000, origin: 'old' });
    expect(await quota.peek('wxA', v)).toBeNull();
    // Known to be closed, so refused here without an API call.
    expect(await takeAll('wxA', v, 1)).toEqual(['quota_window_closed']);
  });

  it('re-opening by the same interaction (a retried job) does not reset the count', async () => {
    const u = user();
    await quota.open('wxA', u, { kind: 'message', stampMs: now(), origin: 'm1' });
    await takeAll('wxA', u, 2);
    await quota.open('wxA', u, { kind: 'message', stampMs: now(), origin: 'm1' });
    expect((await quota.peek('wxA', u))!.remaining).toBe(3);
  });

  it('a new message opens a fresh window; an older one processed late does not', async () => {
    const u = user();
    const t = now();
    await quota.open('wxA', u, { kind: 'message', stampMs: t, origin: 'm2' });
    await takeAll('wxA', u, 5, 'a');
    await quota.open('wxA', u, { kind: 'message', stampMs: t - 10_000, origin: 'm1' });
    expect((await quota.peek('wxA', u))!.remaining).toBe(0);
    await quota.open('wxA', u, { kind: 'message', stampMs: t + 1000, origin: 'm3' });
    expect((await quota.peek('wxA', u))!.remaining).toBe(5);
  });

  it('a click does not shrink a more generous open message window, but replaces a used-up one', async () => {
    const u = user();
    await quota.open('wxA', u, { kind: 'message', stampMs: now(), origin: 'm1' });
    await quota.open('wxA', u, { kind: 'event', stampMs: now() + 1, origin: 'e1' });
    expect(await quota.peek('wxA', u)).toMatchObject({ kind: 'message', remaining: 5 });
    await takeAll('wxA', u, 5);
    await quota.open('wxA', u, { kind: 'event', stampMs: now() + 2, origin: 'e2' });
    expect(await quota.peek('wxA', u)).toMatchObject({ kind: 'event', remaining: 3 });
  });

  it('open() answers with the window peek() would show, or null when the interaction opened none', async () => {
    const u = user();
    expect(await quota.open('wxA', u, { kind: 'event', stampMs: now() - 61_000, origin: 'old' })).toBeNull();
    const opened = await quota.open('wxA', u, { kind: 'message', stampMs: now(), origin: 'm1' });
    expect(opened).toEqual(await quota.peek('wxA', u));
    await takeAll('wxA', u, 2);
    expect(await quota.open('wxA', u, { kind: 'event', stampMs: now(), origin: 'e1' })).toMatchObject({ kind: 'message', remaining: 3 });
  });

  it('accounts and users are counted apart', async () => {
    const u = user();
    await quota.open('wxA', u, { kind: 'event', stampMs: now(), origin: 'e' });
    await quota.open('wxB', u, { kind: 'event', stampMs: now(), origin: 'e' });
    await takeAll('wxA', u, 3);
    expect((await quota.peek('wxB', u))!.remaining).toBe(3);
  });
});
