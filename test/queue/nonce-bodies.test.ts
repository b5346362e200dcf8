import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { replayGuard } from '../../src/queue/inbound-job-options.js';
import { bodyDigest, createNonceBodies } from '../../src/queue/nonce-bodies.js';
import { deleteKeys, REDIS_URL, testPrefix } from '../helpers/redis-keys.js';
import { redisKeys } from '../../src/redis-keys.js';

const prefix = testPrefix('nonce');
let redis: Redis;
beforeAll(() => {
  redis = new Redis(REDIS_URL);
});
afterAll(async () => {
  redis.disconnect();
  await deleteKeys(prefix);
});

describe('nonce bodies', () => {
  it('first for a new nonce, same for the same body, other for another body', async () => {
    const bodies = createNonceBodies({ redis }, { keys: redisKeys({ prefix }) });
    const guard = (body: string) => replayGuard('wxnonce', '1700000000', 'abc', body, 300);
    expect(await bodies.check('wxnonce', guard('<xml>a</xml>'))).toBe('first');
    expect(await bodies.check('wxnonce', guard('<xml>a</xml>'))).toBe('same');
    expect(await bodies.check('wxnonce', guard('<xml>b</xml>'))).toBe('other');
    expect(await bodies.check('wxnonce', guard('<xml>a</xml>'))).toBe('same'); // the first body keeps the nonce
    expect(await bodies.check('wxnonce', replayGuard('wxnonce', '1700000000', 'abd', '<xml>b</xml>', 300))).toBe('first');
  });

  it('keeps the digest, not the body, for twice the timestamp window, under the prefix', async () => {
    const bodies = createNonceBodies({ redis }, { keys: redisKeys({ prefix }) });
    const guard = replayGuard('wxnonce', '1700000001', 'ttl', '<xml>secret</xml>', 300);
    await bodies.check('wxnonce', guard);
    const key = `${prefix}:nonce:${guard.id}`;
    expect(await redis.get(key)).toBe(bodyDigest('<xml>secret</xml>'));
    expect(await redis.pttl(key)).toBeGreaterThan(590_000);
    expect(await redis.pttl(key)).toBeLessThanOrEqual(600_000);
  });

  it('a guard without a digest (a spool line from before) has nothing to compare', async () => {
    const bodies = createNonceBodies({ redis }, { keys: redisKeys({ prefix }) });
    expect(await bodies.check('wxnonce', { id: 'n_wxnonce_1700000002_old', ttlMs: 600_000 })).toBe('first');
    expect(await redis.exists(`${prefix}:nonce:n_wxnonce_1700000002_old`)).toBe(0);
  });
});
