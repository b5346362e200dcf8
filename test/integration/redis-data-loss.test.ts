// Issue 14: Redis lost its data under a running wxgate (a FLUSHALL, a restart without
// persistence, an eviction) and no line anywhere said so. Each case runs against a redis-server
// of its own (the shared one on 6379 is never flushed): receiver and workers as `wxgate all`
// wires them, one Redis watch for the process.
import { spawn } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, ownRedis, type OwnRedis } from '../helpers/redis-server.js';
import { checkLine } from '../helpers/secrets.js';
import { newOpenid, startHarness, text, waitFor, type Harness } from '../fixtures/worker/harness.js';

let redis: OwnRedis;
let admin: Redis;
let h: Harness;
beforeAll(async () => {
  redis = await ownRedis();
  await redis.start();
  admin = new Redis(redis.url, { maxRetriesPerRequest: null });
  // No periodic check within a test: what is found is found by check() or by a reconnect.
  h = await startHarness({ env: { REDIS_URL: redis.url, WXGATE_REDIS_CHECK_INTERVAL_MS: '3600000' } });
  await h.t.receiver.redisHealth.check();
});
afterAll(async () => {
  await h?.close();
  admin?.disconnect();
  await redis?.stop();
  await rm(redis.dir, { recursive: true, force: true });
});

const lossLines = () => h.t.logs.lines.filter((l) => l.code === 'redis_data_lost');
const durability = async () => ((await (await fetch(`${h.t.url}/readyz`)).json()) as { durability: { dataLost: unknown } }).durability;
const lostCounter = async (reason: string) => {
  const m = new RegExp(`wxgate_redis_data_lost_total\\{reason="${reason}"\\} (\\d+)`).exec(await (await fetch(`${h.t.url}/metrics`)).text());
  return m ? Number(m[1]) : 0;
};

describe('Redis loses its data under a running receiver and worker', () => {
  it('a FLUSHALL is found by the next check: one error line saying what may be lost, the counter, /readyz; a running handler\'s reply still goes out', async () => {
    const openid = newOpenid();
    await h.push(text(openid, 'slow:3000'));
    await waitFor(() => h.t.logs.find((l) => l.msg === 'slow handler started' && l.openid === openid), 'the handler to start');
    const before = lossLines().length;
    await admin.flushall();
    await h.t.receiver.redisHealth.check();

    const lines = lossLines().slice(before);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 50, layer: 'redis', code: 'redis_data_lost', reason: 'flush', since: expect.any(String) });
    expect((lines[0]!.mayBeLost as string[]).join(' ')).toMatch(/acknowledged pushes.*replies.*dedup.*quotas.*access_token/);
    expect(await lostCounter('flush')).toBe(1);
    expect(await durability()).toMatchObject({ dataLost: { reason: 'flush', count: 1 } });
    // Re-armed: the next check finds the new marker.
    await h.t.receiver.redisHealth.check();
    expect(lossLines().slice(before)).toHaveLength(1);

    // Its quota record went with the flush: the reply is sent all the same (WeChat decides).
    const sent = await waitFor(() => h.sentTo(openid).length > 0 && h.sentTo(openid), 'the reply at the mock');
    expect(sent.map((s) => s.content)).toEqual(['done 3000']);
  });

  it('a restart of Redis without persistence is found on the reconnect (run_id changed, marker gone)', async () => {
    const before = lossLines().length;
    await redis.stop();
    await redis.start();
    const line = await waitFor(() => lossLines()[before], 'the data-loss line after the reconnect', 25_000);
    expect(line).toMatchObject({ code: 'redis_data_lost', reason: 'restart', trigger: 'reconnect', previousRunId: expect.any(String), runId: expect.any(String) });
    expect(line.runId).not.toBe(line.previousRunId);
    expect(await lostCounter('restart')).toBe(1);
    expect(lossLines()).toHaveLength(before + 1);
  });

  it('evictions are data loss too, reported once while they last (an LRU policy keeps the often-read marker)', async () => {
    await admin.config('SET', 'maxmemory-policy', 'allkeys-lru');
    await admin.config('SET', 'maxmemory', '4mb');
    try {
      const before = lossLines().length;
      const filler = 'x'.repeat(10_000);
      for (let i = 0; i < 1000; i += 1) await admin.set(`wxt-filler:${i}`, filler);
      expect(Number(/evicted_keys:(\d+)/.exec(await admin.info('stats'))![1])).toBeGreaterThan(0);
      await h.t.receiver.redisHealth.check();
      for (let i = 1000; i < 1100; i += 1) await admin.set(`wxt-filler:${i}`, filler);
      await h.t.receiver.redisHealth.check();
      expect(lossLines().slice(before)).toMatchObject([{ code: 'redis_data_lost', reason: 'eviction', evictedKeys: expect.any(Number) }]);
      expect(await lostCounter('eviction')).toBe(1);
    } finally {
      await admin.config('SET', 'maxmemory', '0');
      await admin.config('SET', 'maxmemory-policy', 'noeviction');
    }
  });
});

describe('`wxgate worker` watches Redis on its own', () => {
  it('a FLUSHALL is found by its periodic check: the line on stdout, the counter and /readyz on its metrics port', { timeout: 60_000 }, async () => {
    const port = await freePort();
    const env = { ...process.env, ...h.childEnv, REDIS_URL: redis.url, WXGATE_METRICS_PORT: String(port), HOST: '127.0.0.1', WXGATE_REDIS_CHECK_INTERVAL_MS: '200', LOG_LEVEL: 'info' };
    const proc = spawn(process.execPath, ['bin/wxgate.js', 'worker'], { env, stdio: ['ignore', 'pipe', 'inherit'] });
    const lines: Record<string, unknown>[] = [];
    createInterface({ input: proc.stdout! }).on('line', (l) => {
      checkLine(l);
      lines.push(JSON.parse(l) as Record<string, unknown>);
    });
    const exited = new Promise<number | null>((resolve) => proc.once('exit', resolve));
    try {
      await waitFor(() => lines.find((l) => l.msg === 'workers running'), 'the worker', 25_000);
      await waitFor(() => lines.find((l) => l.layer === 'redis' && String(l.msg).startsWith('Redis checked')), 'its first Redis check', 25_000);
      // The unsafe setting of this Redis (no persistence) is said once, however many checks run.
      expect(lines.filter((l) => l.code === 'redis_setting_unsafe').map((l) => l.setting)).toEqual(['appendonly']);
      await admin.flushall();
      const line = await waitFor(() => lines.find((l) => l.code === 'redis_data_lost'), 'the data-loss line', 25_000);
      expect(line).toMatchObject({ level: 50, layer: 'redis', reason: 'flush', trigger: 'periodic' });
      expect(await (await fetch(`http://127.0.0.1:${port}/metrics`)).text()).toMatch(/wxgate_redis_data_lost_total\{reason="flush"\} 1/);
      const ready = await fetch(`http://127.0.0.1:${port}/readyz`);
      expect(ready.status).toBe(200);
      expect(await ready.json()).toMatchObject({ redis: 'up', durability: { unsafe: ['appendonly'], dataLost: { reason: 'flush' } } });
      // Three more checks: still one line each.
      const checkedAt = async () => ((await (await fetch(`http://127.0.0.1:${port}/readyz`)).json()) as { durability: { checkedAt: string } }).durability.checkedAt;
      for (let i = 0; i < 3; i += 1) {
        const last = await checkedAt();
        await waitFor(async () => (await checkedAt()) !== last, 'another check');
      }
      expect(lines.filter((l) => l.code === 'redis_data_lost')).toHaveLength(1);
      expect(lines.filter((l) => l.code === 'redis_setting_unsafe')).toHaveLength(1);
      proc.kill('SIGTERM');
      expect(await exited).toBe(0);
    } finally {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
    }
  });
});
