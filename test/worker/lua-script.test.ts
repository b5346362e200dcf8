import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { createLuaScript } from '../../src/worker/lua-script.js';
import { REDIS_URL } from '../helpers/redis-keys.js';

const redis = new Redis(REDIS_URL);
afterAll(() => redis.disconnect());

describe('Lua scripts by SHA1', () => {
  it('a script Redis has never seen runs (NOSCRIPT, then EVAL), and by EVALSHA after that', async () => {
    // A body of its own, so Redis cannot know it from an earlier run.
    const script = createLuaScript({ redis }, { source: `-- ${randomUUID()}\nreturn {KEYS[1], ARGV[1], ARGV[2]}` });
    expect(await script.run(['k'], ['a', 2])).toEqual(['k', 'a', '2']);
    const evalsha = async () => Number(/cmdstat_evalsha:calls=(\d+)/.exec(await redis.info('commandstats'))?.[1] ?? 0);
    const before = await evalsha();
    expect(await script.run(['k2'], ['b', 3])).toEqual(['k2', 'b', '3']);
    expect(await evalsha()).toBeGreaterThan(before);
  });

  it('errors other than NOSCRIPT are the script\'s own', async () => {
    const script = createLuaScript({ redis }, { source: `-- ${randomUUID()}\nreturn redis.error_reply('BOOM nope')` });
    await expect(script.run([], [])).rejects.toThrow(/BOOM/);
  });
});
