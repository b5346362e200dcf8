import { readdir } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { buildPush, textMessage } from '../../src/dev/pushes.js';
import { buildXml } from '../../src/wechat/xml.js';
import { startTestReceiver, TEST_APP, type TestReceiver } from '../helpers/receiver.js';
import { ownRedis, type OwnRedis } from '../helpers/redis-server.js';
import { cuttingProxy } from '../helpers/cutting-proxy.js';

async function until<T>(probe: () => Promise<T | undefined>, what: string, ms = 15_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

let redis: OwnRedis;
let t: TestReceiver;
beforeAll(async () => {
  redis = await ownRedis();
  await redis.start();
  t = await startTestReceiver({ REDIS_URL: redis.url, WXGATE_ENQUEUE_TIMEOUT_MS: '300' });
});
afterAll(async () => {
  await t?.close();
  await redis?.stop();
});

const post = (p: { path: string; body: string }) => fetch(t.url + p.path, { method: 'POST', body: p.body }).then(async (r) => ({ status: r.status, text: await r.text() }));
const total = async () => Object.values(await t.receiver.queue.getJobCounts('waiting', 'completed', 'active', 'delayed', 'failed')).reduce((a, b) => a + b, 0);

describe('Redis unreachable → the local spool → drained when Redis is back', () => {
  it('acks from the spool, reports it in /readyz, then lands the job exactly once', async () => {
    await redis.stop();
    const msgId = `9${Date.now()}`;
    const push = buildPush(TEST_APP, textMessage({ openid: 'oSpool', content: 'while down', msgId }), { mode: 'aes' });
    // Delivered twice while Redis is down (a WeChat retry): two spool lines, one job later.
    expect(await post(push)).toEqual({ status: 200, text: 'success' });
    expect(await post(push)).toEqual({ status: 200, text: 'success' });
    expect(t.logs.find((l) => l.msgId === msgId && l.outcome === 'spooled')).toMatchObject({ layer: 'receive', status: 200 });
    expect((await readdir(t.config.spoolDir)).length).toBeGreaterThan(0);
    const ready = await fetch(`${t.url}/readyz`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toMatchObject({ redis: 'down', spool: { depth: 2 } });

    await redis.start();
    const job = await until(() => t.receiver.queue.getJob(`m_${TEST_APP.appid}_${msgId}`).catch(() => undefined), 'the drained job');
    expect(job.data).toMatchObject({ appid: TEST_APP.appid, message: { Content: 'while down' } });
    expect(await total()).toBe(1);
    await until(async () => ((await readdir(t.config.spoolDir)).length === 0 ? true : undefined), 'an empty spool');
    expect((await fetch(`${t.url}/readyz`)).status).toBe(200);
  });

  it('a slow Redis (over the enqueue bound) is spooled too, and drains idempotently', async () => {
    const msgId = `8${Date.now()}`;
    const before = await total();
    const admin = new Redis(redis.url);
    const sleeping = admin.call('DEBUG', 'SLEEP', '1.5').catch(() => undefined);
    await new Promise((r) => setTimeout(r, 50));
    const res = await post(buildPush(TEST_APP, textMessage({ openid: 'oSlow', content: 'slow', msgId }), { mode: 'aes' }));
    expect(res).toEqual({ status: 200, text: 'success' });
    expect(t.logs.find((l) => l.msgId === msgId)).toMatchObject({ outcome: 'spooled' });
    await sleeping;
    admin.disconnect();
    await until(() => t.receiver.queue.getJob(`m_${TEST_APP.appid}_${msgId}`).catch(() => undefined), 'the job');
    await until(async () => ((await readdir(t.config.spoolDir)).length === 0 ? true : undefined), 'an empty spool');
    expect(await total()).toBe(before + 1);
  });
});

describe('a compat account while Redis is unreachable (issue 14)', () => {
  it('the spool keeps an encrypted push\'s nonce record: its URL stripped to plaintext with another body is dropped at drain', async () => {
    const c = await startTestReceiver({ REDIS_URL: redis.url, WXGATE_ENQUEUE_TIMEOUT_MS: '300', WECHAT_MESSAGE_MODE: 'compat' });
    try {
      await redis.stop();
      const msgId = `5${Date.now()}`;
      const genuine = buildPush(TEST_APP, textMessage({ openid: 'oSpoolC', content: 'genuine', msgId }), { mode: 'aes' });
      const [base, search] = genuine.path.split('?') as [string, string];
      const query = new URLSearchParams(search);
      query.delete('encrypt_type');
      query.delete('msg_signature');
      const forged = { path: `${base}?${query}`, body: buildXml(textMessage({ openid: 'oForger', content: 'forged', msgId: `4${Date.now()}` })) };
      const send = (p: { path: string; body: string }) => fetch(c.url + p.path, { method: 'POST', body: p.body }).then((r) => r.status);
      expect(await send(genuine)).toBe(200); // spooled
      expect(await send(genuine)).toBe(200); // WeChat's retry, spooled too
      expect(await send(forged)).toBe(200); // acknowledged while the check cannot run: dropped when drained
      expect(c.logs.lines.filter((l) => l.outcome === 'spooled')).toHaveLength(3);
      await redis.start();
      const job = await until(() => c.receiver.queue.getJob(`m_${TEST_APP.appid}_${msgId}`).catch(() => undefined), 'the genuine job');
      expect(job.data.message.Content).toBe('genuine');
      await until(async () => ((await readdir(c.config.spoolDir)).length === 0 ? true : undefined), 'an empty spool');
      expect(c.logs.find((l) => l.layer === 'spool' && l.reason === 'nonce_replayed')).toMatchObject({ level: 40, appid: TEST_APP.appid });
      const counts = await c.receiver.queue.getJobCounts('waiting', 'completed', 'active', 'delayed', 'failed');
      expect(Object.values(counts).reduce((a, b) => a + b, 0)).toBe(1);
    } finally {
      await c.close();
    }
  });
});

describe('Redis lost in the instant after the producer connected', () => {
  it('the pushes of that instant are spooled and drained, not stuck until a restart', async () => {
    // BullMQ's version check was the first command after the handshake: losing its reply left
    // the producer's Queue rejected for good (create-receiver.ts).
    const proxy = await cuttingProxy(redis.port);
    const r = await startTestReceiver({ REDIS_URL: proxy.url, WXGATE_ENQUEUE_TIMEOUT_MS: '300' });
    try {
      const send = async (msgId: string) => {
        const push = buildPush(TEST_APP, textMessage({ openid: 'oCut', content: msgId, msgId }), { mode: 'aes' });
        return (await fetch(r.url + push.path, { method: 'POST', body: push.body })).status;
      };
      const first = `7${Date.now()}`;
      expect(await send(first)).toBe(200);
      await until(async () => (proxy.cut ? true : undefined), 'the cut');
      const later = `6${Date.now()}`;
      expect(await send(later)).toBe(200);
      for (const id of [first, later]) await until(() => r.receiver.queue.getJob(`m_${TEST_APP.appid}_${id}`).catch(() => undefined), `job ${id}`);
    } finally {
      await r.close();
      await proxy.close();
    }
  });
});
