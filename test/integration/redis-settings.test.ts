// Issue 14: wxgate says `success` once a push is in Redis, so a Redis that forgets on restart or
// evicts under memory pressure loses acknowledged pushes. Each process reads the settings at
// start and after every reconnect: one error line per unsafe setting with the fix, the
// wxgate_redis_setting gauge, and /readyz's body (still 200). Each case runs a redis-server of
// its own, configured as the case needs.
import { rm } from 'node:fs/promises';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { startTestReceiver, type TestReceiver } from '../helpers/receiver.js';
import { ownRedis, type OwnRedis } from '../helpers/redis-server.js';

const started: { redis: OwnRedis; t?: TestReceiver }[] = [];
afterAll(async () => {
  for (const { redis, t } of started) {
    await t?.close();
    await redis.stop();
    await rm(redis.dir, { recursive: true, force: true });
  }
});

async function receiverOn(args: string[]): Promise<TestReceiver> {
  const redis = await ownRedis({ args });
  const entry: (typeof started)[number] = { redis };
  started.push(entry);
  await redis.start();
  entry.t = await startTestReceiver({ REDIS_URL: redis.url, WXGATE_REDIS_CHECK_INTERVAL_MS: '600000' });
  await entry.t.receiver.redisHealth.check();
  return entry.t;
}

const redisLines = (t: TestReceiver, code?: string) => t.logs.lines.filter((l) => l.layer === 'redis' && (code === undefined || l.code === code));
const readyz = async (t: TestReceiver) => {
  const res = await fetch(`${t.url}/readyz`);
  return { status: res.status, body: (await res.json()) as { durability: Record<string, unknown> } };
};
const metricsText = async (t: TestReceiver) => (await fetch(`${t.url}/metrics`)).text();
const gauge = (setting: string, state: string, value: 0 | 1) => new RegExp(`wxgate_redis_setting\\{setting="${setting}",state="${state}"\\} ${value}\\b`);

describe('Redis settings', () => {
  it('no persistence and an evicting policy: one error line per setting with its fix, the gauge, /readyz (200) say so; fixed at runtime, one line says so', async () => {
    const t = await receiverOn(['--maxmemory-policy', 'allkeys-lru']);
    await t.receiver.redisHealth.check(); // a second look changes nothing: no second line
    const unsafe = redisLines(t, 'redis_setting_unsafe');
    expect(unsafe.map((l) => [l.setting, l.value, l.level])).toEqual([
      ['appendonly', 'no', 50],
      ['maxmemory-policy', 'allkeys-lru', 50],
    ]);
    expect(unsafe[0]!.fix).toContain('CONFIG SET appendonly yes');
    expect(unsafe[0]!.risk).toContain('loses every key');
    expect(unsafe[1]!.fix).toContain('CONFIG SET maxmemory-policy noeviction');

    const metrics = await metricsText(t);
    expect(metrics).toMatch(gauge('appendonly', 'unsafe', 1));
    expect(metrics).toMatch(gauge('appendonly', 'ok', 0));
    expect(metrics).toMatch(gauge('maxmemory-policy', 'unsafe', 1));
    expect(metrics).toMatch(gauge('appendfsync', 'ok', 1));

    const ready = await readyz(t);
    expect(ready.status).toBe(200);
    expect(ready.body.durability).toMatchObject({
      settings: { appendonly: 'no', appendfsync: 'everysec', save: '', 'maxmemory-policy': 'allkeys-lru', replicas: 0 },
      unsafe: ['appendonly', 'maxmemory-policy'],
      unknown: [],
      dataLost: null,
    });

    const admin = new Redis(started.at(-1)!.redis.url);
    await admin.config('SET', 'maxmemory-policy', 'noeviction');
    admin.disconnect();
    await t.receiver.redisHealth.check();
    expect(redisLines(t).filter((l) => l.setting === 'maxmemory-policy').map((l) => l.state)).toEqual(['unsafe', 'ok']);
    expect(await metricsText(t)).toMatch(gauge('maxmemory-policy', 'ok', 1));
    expect((await readyz(t)).body.durability).toMatchObject({ unsafe: ['appendonly'] });
  });

  it('AOF (appendfsync everysec) and noeviction: no warning, every gauge ok, nothing unsafe in /readyz', async () => {
    const t = await receiverOn(['--appendonly', 'yes', '--appendfsync', 'everysec', '--maxmemory-policy', 'noeviction']);
    expect(redisLines(t).filter((l) => (l.level as number) >= 40)).toEqual([]);
    const metrics = await metricsText(t);
    for (const setting of ['appendonly', 'appendfsync', 'maxmemory-policy']) expect(metrics).toMatch(gauge(setting, 'ok', 1));
    const ready = await readyz(t);
    expect(ready.status).toBe(200);
    expect(ready.body.durability).toMatchObject({ settings: { appendonly: 'yes', appendfsync: 'everysec' }, unsafe: [], unknown: [] });
  });

  it('CONFIG disabled (managed Redis): AOF and the policy come from INFO, the rest is "unknown", never a guess', async () => {
    const t = await receiverOn(['--rename-command', 'CONFIG', '']);
    const ready = await readyz(t);
    expect(ready.body.durability).toMatchObject({
      settings: { appendonly: 'no', appendfsync: 'unknown', save: 'unknown', 'maxmemory-policy': 'noeviction' },
      unsafe: ['appendonly'],
      unknown: ['appendfsync'],
    });
    expect(redisLines(t, 'redis_setting_unknown').map((l) => [l.setting, l.level])).toEqual([['appendfsync', 40]]);
    expect(redisLines(t, 'redis_setting_unsafe')[0]!.risk).toContain('save points unknown');
    expect(await metricsText(t)).toMatch(gauge('appendfsync', 'unknown', 1));
  });
});
