import { describe, expect, it } from 'vitest';
import { buildDeliveries, groupMessages, uniqueEvents } from '../../src/trace/group.js';
import { T0, accessEvent, laterEvent, receiveEvent } from './events.js';

const S = Math.floor(T0 / 1000);

describe('buildDeliveries', () => {
  it('pairs nginx and receiver lines by request id', () => {
    const { deliveries, others } = buildDeliveries([receiveEvent(), accessEvent(), laterEvent('worker')]);
    expect(deliveries).toHaveLength(1);
    expect(deliveries[0]!.access?.layer).toBe('access');
    expect(deliveries[0]!.receive?.layer).toBe('receive');
    expect(others.map((e) => e.layer)).toEqual(['worker']);
  });

  it('keeps unpaired lines as deliveries of their own', () => {
    const { deliveries } = buildDeliveries([accessEvent({ reqId: 'a' }), receiveEvent({ reqId: 'b' }), receiveEvent({ reqId: undefined })]);
    expect(deliveries).toHaveLength(3);
  });

  it('does not take a receiver line about the process for a push', () => {
    const { deliveries, others } = buildDeliveries([{ layer: 'receive', end: T0, msg: 'receiver listening' }]);
    expect(deliveries).toHaveLength(0);
    expect(others).toHaveLength(1);
  });
});

describe('groupMessages', () => {
  it('joins every layer of one message', () => {
    const msgs = groupMessages([accessEvent(), receiveEvent(), laterEvent('worker'), laterEvent('handler'), laterEvent('send', { end: T0 + 300 })]);
    expect(msgs).toHaveLength(1);
    expect(msgs[0]!.deliveries).toHaveLength(1);
    expect(msgs[0]!.later.map((e) => e.layer)).toEqual(['worker', 'handler', 'send']);
    expect(msgs[0]!.identity).toMatchObject({ appid: 'wxA', openid: 'oA', stamp: S, msgType: 'text', msgId: '1001', dedupKey: 'm1001' });
  });

  it('joins WeChat\'s retries of one message by dedupKey', () => {
    const msgs = groupMessages([
      accessEvent({ reqId: 'r1', ms: 5200 }), receiveEvent({ reqId: 'r1' }),
      accessEvent({ reqId: 'r2', end: T0 + 5100 }), receiveEvent({ reqId: 'r2', end: T0 + 5098 }),
    ]);
    expect(msgs).toHaveLength(1);
    expect(msgs[0]!.deliveries.map((d) => d.reqId)).toEqual(['r1', 'r2']);
  });

  it('joins lines without dedupKey by openid and stamp', () => {
    const msgs = groupMessages([receiveEvent(), laterEvent('worker', { dedupKey: undefined, msgId: undefined })]);
    expect(msgs).toHaveLength(1);
  });

  it('keeps two messages of one second apart when their dedupKeys differ', () => {
    const msgs = groupMessages([
      receiveEvent({ reqId: 'r1' }),
      receiveEvent({ reqId: 'r2', msgType: 'event', event: 'subscribe', msgId: undefined, dedupKey: 'eoA' }),
      laterEvent('worker', { dedupKey: undefined, msgId: undefined }),
    ]);
    expect(msgs).toHaveLength(3);
  });

  it('attaches a push that never reached a receiver to the message it retried', () => {
    const msgs = groupMessages([
      accessEvent({ reqId: 'lost', status: 502, upstreamStatus: [502], pushTs: S + 5, end: T0 + 5000 }),
      accessEvent({ ms: 5200, end: T0 + 5200 }), receiveEvent({ ms: 5190, end: T0 + 5195 }),
    ]);
    expect(msgs).toHaveLength(1);
    expect(msgs[0]!.deliveries).toHaveLength(2);
  });

  it('never attaches it to a message already answered success (WeChat retries only what failed)', () => {
    const msgs = groupMessages([accessEvent(), receiveEvent(), accessEvent({ reqId: 'other', status: 502, upstreamStatus: [502], pushTs: S + 10, end: T0 + 10_000 })]);
    expect(msgs).toHaveLength(2);
  });

  it('leaves such a push alone when two messages could claim it', () => {
    const msgs = groupMessages([
      accessEvent({ reqId: 'lost', status: 502, pushTs: S + 5, end: T0 + 5000 }),
      receiveEvent({ reqId: 'a' }),
      receiveEvent({ reqId: 'b', stamp: S + 2, msgId: '1002', dedupKey: 'm1002' }),
    ]);
    expect(msgs).toHaveLength(3);
  });

  it('orders messages by time', () => {
    const msgs = groupMessages([receiveEvent({ reqId: 'b', end: T0 + 60_000, stamp: S + 60, msgId: '2', dedupKey: 'm2' }), receiveEvent()]);
    expect(msgs.map((m) => m.identity.msgId)).toEqual(['1001', '2']);
  });
});

describe('uniqueEvents', () => {
  it('drops lines read twice', () => {
    expect(uniqueEvents([receiveEvent(), receiveEvent(), receiveEvent({ end: T0 + 9 })])).toHaveLength(2);
  });
});
