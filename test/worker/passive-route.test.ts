// Where each reply goes in reply modes passive and auto, with the real hand-over on real Redis and
// no receiver waiting (the fallbacks); test/integration/passive-replies.test.ts has the waiting ones.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPassiveHandOver } from '../../src/queue/passive-hand-over.js';
import { passiveKeys } from '../../src/queue/passive-slot.js';
import { createRedis, type RedisConnection } from '../../src/redis.js';
import { createPassiveRoute } from '../../src/worker/passive-route.js';
import { reply } from '../../src/worker/replies.js';
import { captureLogs } from '../helpers/log-capture.js';
import { deleteKeys, REDIS_URL, testPrefix } from '../helpers/redis-keys.js';

const prefix = testPrefix('proute');
let redis: RedisConnection;
let n = 0;
beforeAll(() => {
  redis = createRedis(REDIS_URL, 'worker');
});
afterAll(async () => {
  await deleteKeys(prefix);
  redis?.disconnect();
});

function route(replyMode: 'passive' | 'auto', passiveRetries = false) {
  const logs = captureLogs();
  const dedupKey = `m_wxroute_${Date.now()}${n++}`;
  const r = createPassiveRoute({ handOver: createPassiveHandOver({ redis }, { prefix }), log: logs.logger }, { dedupKey, replyMode, passiveRetries });
  return { r, logs, dedupKey };
}

describe('passive route, no receiver waiting', () => {
  it('auto: the late first reply and the rest through customer service; one reply_too_late line', async () => {
    const { r, logs } = route('auto');
    expect(await r.route(reply.typing())).toBe(false);
    expect(await r.route(reply.text('one'))).toBe(false);
    expect(await r.route(reply.text('two'))).toBe(false);
    expect(r.fate).toBe('late_custom');
    expect(logs.lines.filter((l) => l.code === 'reply_too_late')).toEqual([expect.objectContaining({ via: 'custom' })]);
  });

  it('passive: the late first reply dropped with one reply_too_late line, the rest cut, no typing', async () => {
    const { r, logs } = route('passive');
    expect(await r.route(reply.typing())).toBe(true);
    expect(await r.route(reply.text('one'))).toBe(true);
    expect(await r.route(reply.text('two'))).toBe(true);
    expect(r.fate).toBe('late_dropped');
    expect(logs.lines.filter((l) => l.code === 'reply_too_late')).toHaveLength(1);
    expect(logs.lines.filter((l) => l.code === 'passive_cut')).toHaveLength(1);
  });

  it('passive with retries: the late first reply is held for the next delivery', async () => {
    const { r, dedupKey } = route('passive', true);
    expect(await r.route(reply.text('later'))).toBe(true);
    expect(r.fate).toBe('held');
    expect(JSON.parse((await redis.get(passiveKeys(prefix, dedupKey).held))!)).toMatchObject({ reply: { text: { content: 'later' } } });
  });

  it('a first reply a passive answer cannot carry: customer service in auto, dropped with a line in passive', async () => {
    const auto = route('auto');
    expect(await auto.r.route(reply.wxcard('c'))).toBe(false);
    const passive = route('passive');
    expect(await passive.r.route(reply.wxcard('c'))).toBe(true);
    expect(passive.logs.lines.find((l) => l.code === 'passive_unsupported')).toMatchObject({ msgType: 'wxcard' });
  });

  it('a job run again after its first reply was handed over sends it neither way again', async () => {
    const first = route('auto');
    await redis.set(passiveKeys(prefix, first.dedupKey).done, '1', 'PX', 60_000);
    expect(await first.r.route(reply.text('again'))).toBe(true);
    expect(first.r.fate).toBe('handed');
  });
});
