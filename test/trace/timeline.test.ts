import { describe, expect, it } from 'vitest';
import { groupMessages } from '../../src/trace/group.js';
import { buildTimeline } from '../../src/trace/timeline.js';
import { T0, accessEvent, laterEvent, receiveEvent } from './events.js';

const timeline = (...events: Parameters<typeof groupMessages>[0]) => buildTimeline(groupMessages(events)[0]!);

describe('buildTimeline', () => {
  it('one row per layer line, in time order, with the delivery number', () => {
    const tl = timeline(laterEvent('send', { end: T0 + 400 }), accessEvent(), receiveEvent(), laterEvent('worker'));
    expect(tl.rows.map((r) => [r.layer, r.delivery])).toEqual([['access', 1], ['receive', 1], ['worker', undefined], ['send', undefined]]);
    expect(tl.outcome.kind).toBe('success');
    expect(tl.outcome.text).toMatch(/answered in 5 ms.*reply done/);
  });

  it('marks the slowest layer by its own time (nginx minus the receiver)', () => {
    const tl = timeline(accessEvent({ ms: 300 }), receiveEvent({ ms: 290, end: T0 + 9 }), laterEvent('worker', { ms: 100 }));
    const access = tl.rows.find((r) => r.layer === 'access')!;
    expect(access.selfMs).toBe(10);
    expect(tl.rows.find((r) => r.slowest)!.layer).toBe('receive');
    expect(tl.slowest).toEqual({ layer: 'receive', ms: 290 });
  });

  it('does not count a handler inside the worker as the worker\'s own time', () => {
    const tl = timeline(receiveEvent(), laterEvent('worker', { end: T0 + 1000, ms: 900 }), laterEvent('handler', { end: T0 + 990, ms: 850 }));
    expect(tl.rows.find((r) => r.layer === 'worker')!.selfMs).toBe(50);
    expect(tl.slowest!.layer).toBe('handler');
  });

  it('flags answers over 5 s', () => {
    const tl = timeline(accessEvent({ ms: 5200 }), receiveEvent());
    expect(tl.overLimit).toBe(true);
    expect(tl.rows.find((r) => r.layer === 'access')!.overLimit).toBe(true);
    expect(tl.outcome).toMatchObject({ kind: 'slow', layer: 'access/network' });
  });

  it('success after WeChat retried a slow delivery: still flagged', () => {
    const tl = timeline(accessEvent({ reqId: 'r1', ms: 5200 }), receiveEvent({ reqId: 'r1' }), accessEvent({ reqId: 'r2', end: T0 + 5300 }), receiveEvent({ reqId: 'r2', end: T0 + 5298 }));
    expect(tl.deliveries.map((d) => d.result)).toEqual(['slow', 'ok']);
    expect(tl.outcome.kind).toBe('success');
    expect(tl.outcome.text).toMatch(/delivery 2 of 2/);
    expect(tl.overLimit).toBe(true);
  });

  it('rejected: the reason', () => {
    const tl = timeline(accessEvent({ status: 401 }), receiveEvent({ status: 401, outcome: 'rejected', reason: 'timestamp_out_of_window' }));
    expect(tl.outcome).toMatchObject({ kind: 'rejected', layer: 'receive: timestamp_out_of_window' });
    expect(tl.rows.find((r) => r.layer === 'receive')!.ok).toBe(false);
  });

  it('failed send: the errcode', () => {
    const tl = timeline(accessEvent(), receiveEvent(), laterEvent('send', { outcome: 'failed', errcode: 45015 }));
    expect(tl.outcome).toMatchObject({ kind: 'failed', layer: 'send: errcode 45015' });
  });

  it('a reply held after its worker died mid-send: outcome unknown, not a failure WeChat answered, and how to send it', () => {
    const tl = timeline(accessEvent(), receiveEvent(), laterEvent('send', { outcome: 'failed', code: 'send_outcome_unknown', jobId: 'r_m1001_0' }));
    expect(tl.outcome).toMatchObject({ kind: 'failed', layer: 'send: send_outcome_unknown' });
    expect(tl.outcome.text).toMatch(/outcome unknown.*may have it.*wxgate dlq retry outbound r_m1001_0/);
  });

  it('a run after a crash that found the reply already accepted: sent', () => {
    const tl = timeline(accessEvent(), receiveEvent(), laterEvent('send', { outcome: 'already_sent', errcode: 0, jobId: 'r_m1001_0', end: T0 + 1200 }));
    expect(tl.outcome.kind).toBe('success');
    expect(tl.outcome.text).toMatch(/reply sent/);
  });

  it('reply modes passive and auto: how the push was answered and the wait for the reply (issue 17)', () => {
    const passive = timeline(accessEvent(), receiveEvent({ answer: 'passive', replyWaitMs: 41, handOverMs: 0.8 })).rows.find((r) => r.layer === 'receive')!;
    expect(passive.outcome).toBe('acked, answered with the reply');
    expect(passive.detail).toMatch(/waited 41 ?ms for the reply \(hand-over 0\.8 ?ms\)/);
    const late = timeline(accessEvent(), receiveEvent({ answer: 'too_late', replyWaitMs: 4000 })).rows.find((r) => r.layer === 'receive')!;
    expect(late.outcome).toBe('acked, success, reply too late');
    expect(late.detail).not.toMatch(/in queue/);
  });

  it('never reached a receiver', () => {
    const tl = timeline(accessEvent({ status: 502, upstreamStatus: [502] }));
    expect(tl.outcome.kind).toBe('unreached');
  });
});
