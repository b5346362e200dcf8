// A push of an account in reply mode passive or auto that gets `success` at once says why on its
// receive line (`waitSkipped`), and `wxgate trace` shows it: spooled (no worker sees it in time),
// or no slot to wait in because this receiver's hand-over subscription or Redis connection is down.
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import Koa from 'koa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildPush, textMessage } from '../../src/dev/pushes.js';
import { createAppRegistry } from '../../src/receiver/app-registry.js';
import type { PushStore, StoreResult } from '../../src/receiver/push-store.js';
import { createWechatRoutes } from '../../src/receiver/wechat-routes.js';
import type { PassiveSlots, SlotUnavailable } from '../../src/queue/passive-slot.js';
import { parseWxgate } from '../../src/trace/parse-wxgate.js';
import { groupMessages } from '../../src/trace/group.js';
import { buildTimeline } from '../../src/trace/timeline.js';
import { captureLogs } from '../helpers/log-capture.js';

const account = { appid: 'wxskip0000000001', token: 'tok-skip' };
const logs = captureLogs();
let outcome: StoreResult['outcome'] = 'acked';
let down: SlotUnavailable | undefined;
let waited = 0;
const store: PushStore = { store: async () => ({ outcome, ms: 1 }), reserve: async () => undefined };
const slots: PassiveSlots = {
  start: async () => undefined,
  close: async () => undefined,
  unavailable: () => down,
  open: () =>
    down
      ? undefined
      : {
          wait: async () => {
            waited += 1;
            return { outcome: 'none' };
          },
          cancel: () => undefined,
        },
};
let url = '';
let server: ReturnType<Koa['listen']>;

beforeAll(async () => {
  const app = new Koa();
  const registry = createAppRegistry([{ ...account, tokenApi: 'stable', mode: 'plain', replyMode: 'auto', queueShards: 1 }], { defaultAppid: account.appid });
  app.use(createWechatRoutes({ registry, store, logger: logs.logger, slots }, { passive: { waitMs: 1000, useRetries: false } }));
  server = app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

let n = 0;
async function push(): Promise<Record<string, unknown>> {
  const msgId = `7${Date.now()}${n++}`;
  const p = buildPush(account, textMessage({ openid: 'oSkip', content: 'hi', msgId }));
  const res = await fetch(url + p.path, { method: 'POST', body: p.body });
  expect(await res.text()).toBe('success');
  return logs.lines.filter((l) => l.layer === 'receive' && l.msgId === msgId).at(-1)!;
}

describe('the receive line of a passive/auto push answered `success` without a wait', () => {
  it.each<[StoreResult['outcome'], SlotUnavailable | undefined, string]>([
    ['spooled', undefined, 'spooled'],
    ['acked', 'no_subscription', 'no_subscription'],
    ['acked', 'redis_not_ready', 'redis_not_ready'],
    ['spooled', 'redis_not_ready', 'spooled'],
  ])('stored %s, slots %s: waitSkipped %s', async (stored, unavailable, why) => {
    outcome = stored;
    down = unavailable;
    const before = waited;
    const line = await push();
    expect(line).toMatchObject({ outcome: stored, answer: 'success', waitSkipped: why });
    expect(waited).toBe(before);
    const event = parseWxgate(line as never)!;
    expect(event.waitSkipped).toBe(why);
    const row = buildTimeline(groupMessages([event])[0]!).rows.find((r) => r.layer === 'receive');
    expect(row!.outcome).toMatch(/^acked|^spooled/);
    expect(row!.outcome).toContain('success at once (');
  });

  it('a push that did wait has no waitSkipped', async () => {
    outcome = 'acked';
    down = undefined;
    const line = await push();
    expect(line).toMatchObject({ answer: 'success' });
    expect(line).not.toHaveProperty('waitSkipped');
  });
});
