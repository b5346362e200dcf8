// What the receiver answers once the wait for the first reply is over, for each way it ends.
// The slot here is a plain stand-in for its result (test/queue/passive-slot.test.ts has the real one).
import { describe, expect, it } from 'vitest';
import { createAppRegistry } from '../../src/receiver/app-registry.js';
import { awaitPassiveReply } from '../../src/receiver/passive-wait.js';
import type { PassiveSlot, WaitResult } from '../../src/queue/passive-slot.js';
import { toMessage } from '../../src/wechat/messages.js';
import { parseXml } from '../../src/wechat/xml.js';
import { reply } from '../../src/worker/replies.js';

const app = createAppRegistry([{ appid: 'wxwait0000000001', token: 'tok', tokenApi: 'stable', mode: 'plain', replyMode: 'passive', queueShards: 1 }]).resolve('wxwait0000000001');
const message = toMessage({ ToUserName: 'gh_a', FromUserName: 'oU', CreateTime: '1', MsgType: 'text', Content: 'x', MsgId: '1' });
const ended = (result: WaitResult): PassiveSlot => ({ wait: async () => result, cancel: () => undefined });
const answer = (result: WaitResult, retries = false) => awaitPassiveReply(ended(result), { waitMs: 100, retries, app, message, wire: 'plain', nonce: 'n', nowS: () => 1700000000 });

describe('awaitPassiveReply', () => {
  it('a reply: the passive reply XML, with the hand-over time', async () => {
    const a = await answer({ outcome: 'reply', reply: reply.text('hi'), handOverMs: 0.7 });
    expect(a).toMatchObject({ answer: 'passive', handOverMs: 0.7 });
    expect(parseXml(a.body!)).toMatchObject({ ToUserName: 'oU', FromUserName: 'gh_a', Content: 'hi' });
  });

  it('nothing to carry, or a type no passive reply carries: success', async () => {
    expect(await answer({ outcome: 'none' })).toEqual({ answer: 'success' });
    expect(await answer({ outcome: 'reply', reply: reply.wxcard('c') })).toEqual({ answer: 'success' });
  });

  it('the wait ran out: too_late; in retry mode run_out, except on WeChat\'s third delivery', async () => {
    expect(await answer({ outcome: 'timeout' })).toEqual({ answer: 'too_late' });
    expect(await answer({ outcome: 'timeout', delivery: 1 }, true)).toEqual({ answer: 'run_out' });
    expect(await answer({ outcome: 'timeout', delivery: 2 }, true)).toEqual({ answer: 'run_out' });
    expect(await answer({ outcome: 'timeout', delivery: 3 }, true)).toEqual({ answer: 'too_late' });
    // Not known which delivery (Redis did not say): answered, not left to run out.
    expect(await answer({ outcome: 'timeout' }, true)).toEqual({ answer: 'too_late' });
  });
});
