// bench/lib/redis-cleanup.ts removes everything a benchmark run wrote under its prefix, in both
// key layouts (src/redis-keys.ts): `account` puts each account's keys and BullMQ queues under a
// hash tag `{<prefix>:<appid>}`, which a `<prefix>:*` scan never saw. Keys of other prefixes stay.
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { deletePrefix, prefixPatterns } from '../../bench/lib/redis-cleanup.js';
import { KEY_LAYOUTS, redisKeys } from '../../src/redis-keys.js';
import { deleteKeys, REDIS_URL, testPrefix } from '../helpers/redis-keys.js';

const redis = new Redis(REDIS_URL);
const prefix = testPrefix('cleanup');
const other = `${prefix}x`; // shares the start of the name: must not be touched
afterAll(async () => {
  for (const p of [prefix, other]) {
    await deleteKeys(p);
    for await (const keys of redis.scanStream({ match: `{${p}:*` })) if ((keys as string[]).length > 0) await redis.unlink(...(keys as string[]));
  }
  redis.disconnect();
});

async function write(p: string): Promise<void> {
  for (const layout of KEY_LAYOUTS) {
    const k = redisKeys({ prefix: p, layout });
    const appid = `wx${layout}`;
    await redis.set(k.datasetMarker(), '1');
    await redis.set(k.token(appid), 't');
    await redis.set(k.quota(appid, 'o1'), '1');
    await redis.set(k.sent(appid, 'job1'), '1');
    await redis.set(k.nonce(appid, 'n1'), '1');
    await redis.set(k.campaign(appid, 'c1'), '1');
    for (const shard of [0, 1]) {
      const q = new Queue('inbound', { connection: redis.duplicate(), prefix: k.queuePrefix(appid, shard) });
      await q.add('text', { n: 1 }, { jobId: `j_${layout}_${shard}` });
      await q.close();
    }
  }
}

const count = async (p: string) => {
  let n = 0;
  for (const pattern of prefixPatterns(p)) for await (const keys of redis.scanStream({ match: pattern, count: 1000 })) n += (keys as string[]).length;
  return n;
};

describe('deletePrefix', () => {
  it('removes the keys and queues of both layouts under the prefix, and nothing else', async () => {
    await write(prefix);
    await write(other);
    const accountKeys: string[] = [];
    for await (const keys of redis.scanStream({ match: `{${prefix}:wxaccount*`, count: 1000 })) accountKeys.push(...(keys as string[]));
    expect(accountKeys.length).toBeGreaterThan(5);
    const before = await count(other);
    await deletePrefix(REDIS_URL, prefix);
    expect(await count(prefix)).toBe(0);
    expect(await redis.exists(...accountKeys)).toBe(0);
    expect(await count(other)).toBe(before);
  });

  it('a prefix with glob characters is matched literally', () => {
    expect(prefixPatterns('a*b[1]')).toEqual(['a\\*b\\[1\\]:*', '{a\\*b\\[1\\]:*']);
  });
});
