// Issue 14: when Redis loses its data (a restart without persistence, a flush, an eviction) the
// reply quota of a user goes with it, and every reply queued at that moment failed with
// quota_no_window, never reaching WeChat. A missing record is "unknown": the reply is sent and
// WeChat's errcode decides. The record is removed here by its key alone (the shared Redis is never
// flushed); test/integration/redis-data-loss.test.ts does it with a FLUSHALL on a Redis of its own.
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keysOf } from '../../src/redis-keys.js';
import { TEST_APP } from '../helpers/receiver.js';
import { inboundId, newOpenid, settled, startHarness, text, waitFor, type Harness } from '../fixtures/worker/harness.js';

let h: Harness;
let admin: Redis;
beforeAll(async () => {
  // Handlers only at first: the replies wait in the outbound queue while the record goes.
  h = await startHarness({ workers: { queues: ['inbound'] } });
  admin = new Redis(h.t.config.redisUrl);
});
afterAll(async () => {
  admin?.disconnect();
  await h?.close();
});

/** A reply queued for a user whose quota record is then lost; resolves with its outbound job id. */
async function replyWhoseQuotaIsLost(openid: string): Promise<string> {
  const msg = text(openid, 'quota lost');
  expect((await h.push(msg)).text).toBe('success');
  const id = `${inboundId(msg.MsgId as string)}_r0`;
  await waitFor(async () => (await h.outbound.getJobState(id)) === 'waiting', 'the queued reply');
  const key = keysOf(h.t.config).quota(TEST_APP.appid, openid);
  expect(await admin.exists(key)).toBe(1);
  await admin.del(key);
  return id;
}

const sendLines = (openid: string) => h.t.logs.lines.filter((l) => l.layer === 'send' && l.openid === openid);

describe('a reply whose quota record is gone', () => {
  it('is sent (WeChat answers 0), and a refusal by WeChat (45015) fails it with WeChat\'s errcode', async () => {
    const [ok, closed] = [newOpenid(), newOpenid()];
    const ids = [await replyWhoseQuotaIsLost(ok), await replyWhoseQuotaIsLost(closed)];
    h.mock.state.faults.add({ path: 'send', openid: closed, errcode: 45015, errmsg: 'mock 45015' });
    await h.startWorkers({ queues: ['outbound'] });

    const sent = await settled(h.outbound, ids[0]!);
    expect(await sent.getState()).toBe('completed');
    expect(h.sentTo(ok).map((s) => s.content)).toEqual(['echo: quota lost']);
    expect(sendLines(ok).find((l) => l.outcome === 'sent')).toMatchObject({ errcode: 0, quota: 'unknown' });

    const refused = await settled(h.outbound, ids[1]!);
    expect(await refused.getState()).toBe('failed');
    expect(refused.data.lastError).toMatchObject({ code: 'wechat_45015', errcode: 45015 });
    // The call reached WeChat: its errcode decided, not wxgate's missing record.
    expect(sendLines(closed).filter((l) => l.path === '/cgi-bin/message/custom/send').map((l) => l.errcode)).toEqual([45015]);
    expect(sendLines(closed).find((l) => l.outcome === 'failed')).toMatchObject({ errcode: 45015, quota: 'unknown' });
    expect(h.t.logs.lines.some((l) => l.code === 'quota_no_window')).toBe(false);
  });
});
