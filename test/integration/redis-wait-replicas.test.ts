// WXGATE_REDIS_WAIT_REPLICAS (issue 18): the enqueue waits for N replicas (Redis WAIT) before
// WeChat gets `success`; fewer within the enqueue's time is treated as Redis being away, and the
// push is spooled. A master and a replica of the test's own (real redis-servers).
import { Redis } from 'ioredis';
import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildPush, textMessage } from '../../src/dev/pushes.js';
import { listSpoolFiles } from '../../src/queue/spool.js';
import { ownRedis, type OwnRedis } from '../helpers/redis-server.js';
import { startTestReceiver, TEST_APP, type TestReceiver } from '../helpers/receiver.js';

let master: OwnRedis;
let replica: OwnRedis;
let admin: Redis;
let t: TestReceiver;

async function connectedReplicas(): Promise<number> {
  const info = await admin.info('replication');
  // Online only: a replica still in its first sync is counted by connected_slaves but acks nothing.
  return info.split('\n').filter((l) => /^slave\d+:.*state=online/.test(l)).length;
}

async function until(probe: () => Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 400; i += 1) {
    if (await probe()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`timed out waiting for ${what}`);
}

beforeAll(async () => {
  master = await ownRedis();
  await master.start();
  replica = await ownRedis({ args: ['--replicaof', '127.0.0.1', String(master.port)] });
  await replica.start();
  admin = new Redis(master.url, { maxRetriesPerRequest: 1 });
  await until(async () => (await connectedReplicas()) === 1, 'the replica');
  t = await startTestReceiver({ REDIS_URL: master.url, WXGATE_REDIS_WAIT_REPLICAS: '1', WXGATE_ENQUEUE_TIMEOUT_MS: '300' });
});
afterAll(async () => {
  await t?.close();
  admin?.disconnect();
  await replica?.stop();
  await master?.stop();
  for (const r of [master, replica]) if (r) await rm(r.dir, { recursive: true, force: true });
});

const push = async (openid: string, msgId: string) => {
  const p = buildPush(TEST_APP, textMessage({ openid, content: 'wait for the replica', msgId }), { mode: 'aes' });
  const res = await fetch(t.url + p.path, { method: 'POST', body: p.body, headers: { 'content-type': 'text/xml' } });
  return { status: res.status, text: await res.text() };
};

describe('WXGATE_REDIS_WAIT_REPLICAS=1', () => {
  it('with the replica up: acked once the replica has the job', async () => {
    const msgId = '7300000000000000001';
    expect(await push('oWaitUp', msgId)).toEqual({ status: 200, text: 'success' });
    expect(t.logs.find((l) => l.msgId === msgId && l.layer === 'receive')).toMatchObject({ outcome: 'acked' });
    const onReplica = new Redis(replica.url, { maxRetriesPerRequest: 1 });
    try {
      expect(await onReplica.exists(`${t.config.prefix}:inbound:m_${TEST_APP.appid}_${msgId}`)).toBe(1);
    } finally {
      onReplica.disconnect();
    }
  });

  it('with the replica gone: the wait times out, the push is spooled (still `success`), and stays spooled until a replica has it', async () => {
    await replica.stop();
    await until(async () => (await connectedReplicas()) === 0, 'the replica to be gone');
    const msgId = '7300000000000000002';
    expect(await push('oWaitDown', msgId)).toEqual({ status: 200, text: 'success' });
    expect(t.logs.find((l) => l.msgId === msgId && l.layer === 'receive')).toMatchObject({ outcome: 'spooled' });
    // The drainer waits for the replica too: the file is not deleted while none has the job.
    await new Promise((r) => setTimeout(r, 1500));
    expect((await listSpoolFiles(t.config.spoolDir)).length).toBeGreaterThan(0);

    await replica.start();
    await until(async () => (await connectedReplicas()) === 1, 'the replica back');
    await until(async () => (await listSpoolFiles(t.config.spoolDir)).length === 0, 'the spool drained');
    expect(await admin.exists(`${t.config.prefix}:inbound:m_${TEST_APP.appid}_${msgId}`)).toBe(1);
  });
});
