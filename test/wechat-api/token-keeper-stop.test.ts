// stop() while Redis is unreachable (issue 14 item 5): a worker or serve shutting down must not
// wait forever on the keeper. Its own redis-server, killed under a keeper whose connection has
// the worker settings (commands wait for Redis rather than fail): stop() stops the timer, ends
// the lock wait, and leaves the Redis calls in flight after its bound, with one line saying so.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMockWeChat } from '../../src/dev/mock-wechat/index.js';
import { createRedis, type RedisConnection } from '../../src/redis.js';
import { redisKeys } from '../../src/redis-keys.js';
import { createTokenKeeper } from '../../src/wechat-api/token-keeper.js';
import { app } from '../fixtures/token/harness.js';
import { captureLogs } from '../helpers/log-capture.js';
import { ownRedis, type OwnRedis } from '../helpers/redis-server.js';

const APPID = 'wxkeeperstop001';
let redis: OwnRedis;
let conn: RedisConnection;
let mock: Awaited<ReturnType<ReturnType<typeof createMockWeChat>['listen']>>;

beforeAll(async () => {
  redis = await ownRedis();
  await redis.start();
  mock = await createMockWeChat({}, { appsecrets: 'any' }).listen();
});
afterAll(async () => {
  conn?.disconnect();
  await mock?.close();
  await redis?.stop();
});

/** Settles with 'hung' if `p` has not settled after `ms`: a hang check, not a timing. */
const orHung = <T>(p: Promise<T>, ms: number) => Promise.race([p.then(() => 'settled' as const, () => 'settled' as const), new Promise<'hung'>((r) => setTimeout(() => r('hung'), ms))]);

describe('token keeper stop() with Redis down', () => {
  it('returns instead of waiting on Redis calls that never settle, and says so', async () => {
    const logs = captureLogs();
    conn = createRedis(redis.url, 'worker');
    conn.on('error', () => undefined);
    const keeper = createTokenKeeper({ redis: conn, logger: logs.logger }, { apps: [app(APPID, 'sec')], apiBase: mock.url, keys: redisKeys({ prefix: 'keeperstop' }), memoryTtlMs: 0, refreshTickMs: 50 });
    await keeper.start();
    await keeper.get(APPID);
    await redis.stop();
    // Every read now waits for Redis (the worker connection queues commands until it is back).
    const waiting = keeper.get(APPID);
    waiting.catch(() => undefined);
    await new Promise((r) => setTimeout(r, 100));
    expect(await orHung(keeper.stop({ timeoutMs: 200 }), 10_000)).toBe('settled');
    expect(logs.lines.find((l) => l.layer === 'token' && typeof l.pending === 'number')).toMatchObject({ level: 40, pending: expect.any(Number), timeoutMs: 200 });
    // What was left fails once the caller disconnects, as the api runtime's close() does.
    conn.disconnect();
    expect(await orHung(waiting, 10_000)).toBe('settled');
  });
});
