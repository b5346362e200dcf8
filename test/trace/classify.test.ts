import { describe, expect, it } from 'vitest';
import { classifyDelivery, slowestStep } from '../../src/trace/classify.js';
import { T0, accessEvent, receiveEvent } from './events.js';

describe('classifyDelivery', () => {
  it('ok: success within 5 s', () => {
    expect(classifyDelivery({ access: accessEvent(), receive: receiveEvent() })).toMatchObject({ result: 'ok', answerMs: 5, status: 200 });
  });

  it('a delivery left unanswered in passive retry mode: a timeout on purpose, whatever nginx logged (issue 17)', () => {
    const receive = receiveEvent({ ms: 300, answer: 'run_out', replyWaitMs: 300 });
    for (const access of [accessEvent({ status: 499, ms: 5000 }), undefined]) {
      expect(classifyDelivery({ access, receive })).toMatchObject({ result: 'slow', layer: 'receive: passive retry mode', reason: 'run_out' });
    }
  });

  it('slow in nginx while the receiver was quick: access/network', () => {
    const v = classifyDelivery({ access: accessEvent({ ms: 5200, upstreamMs: 4 }), receive: receiveEvent({ ms: 3 }) });
    expect(v).toMatchObject({ result: 'slow', layer: 'access/network', answerMs: 5200 });
    expect(v.text).toMatch(/outside the receiver/);
  });

  it('nginx waited 5.19 s on a receiver that started late and took 3 ms: the receiver stalled', () => {
    const v = classifyDelivery({ access: accessEvent({ ms: 5200, upstreamMs: 5190 }), receive: receiveEvent({ ms: 3 }) });
    expect(v).toMatchObject({ result: 'slow', layer: 'receive: stalled', reason: 'receiver_stalled' });
  });

  it('nginx\'s upstream timer ran 5 s past the receiver\'s answer: nginx stalled', () => {
    const v = classifyDelivery({ access: accessEvent({ ms: 5200, upstreamMs: 5190 }), receive: receiveEvent({ ms: 3, end: T0 - 5187 }) });
    expect(v).toMatchObject({ result: 'slow', layer: 'access: stalled' });
  });

  it('504 with the receiver\'s line written 6.7 s after nginx passed the push on: stalled, not 1.2 ms fine', () => {
    const v = classifyDelivery({ access: accessEvent({ status: 504, ms: 3001, upstreamMs: 3000, upstreamStatus: [504] }), receive: receiveEvent({ ms: 1.2, end: T0 + 10 - 3001 + 6700 }) });
    expect(v).toMatchObject({ result: 'unreached', layer: 'receive: stalled' });
    expect(v.text).toMatch(/6\.70 s after nginx passed it on.*504/);
  });

  it('slow in the receiver: its slowest step', () => {
    const v = classifyDelivery({ access: accessEvent({ ms: 5108 }), receive: receiveEvent({ ms: 5102, steps: { verify: 0.2, enqueue: 5101 } }) });
    expect(v).toMatchObject({ result: 'slow', layer: 'receive: enqueue' });
  });

  it('slow without nginx in front: the receiver\'s own time', () => {
    expect(classifyDelivery({ receive: receiveEvent({ ms: 6000, steps: { spool: 5990 } }) })).toMatchObject({ result: 'slow', layer: 'receive: spool' });
  });

  it('499 after nginx waited 5 s: WeChat hung up, abandoned', () => {
    expect(classifyDelivery({ access: accessEvent({ status: 499, ms: 4990, upstreamStatus: [] }) })).toMatchObject({ result: 'abandoned', layer: 'access/network', reason: 'client_closed' });
  });

  it('499 in 0 ms: WeChat had given up before nginx read the request', () => {
    const v = classifyDelivery({ access: accessEvent({ status: 499, ms: 0, upstreamStatus: [] }) });
    expect(v).toMatchObject({ result: 'abandoned', layer: 'access: read late' });
    expect(v.text).toMatch(/WeChat closed the connection/);
  });

  it('refused by the receiver: its reason', () => {
    const v = classifyDelivery({ access: accessEvent({ status: 401 }), receive: receiveEvent({ status: 401, outcome: 'rejected', reason: 'signature_mismatch' }) });
    expect(v).toMatchObject({ result: 'rejected', layer: 'receive: signature_mismatch', reason: 'signature_mismatch' });
  });

  it('refused by nginx itself', () => {
    const v = classifyDelivery({ access: accessEvent({ status: 413, upstreamStatus: [] }) });
    expect(v).toMatchObject({ result: 'rejected', layer: 'access: HTTP 413 (body_too_large)', reason: 'body_too_large' });
  });

  it('no receiver answered nginx', () => {
    expect(classifyDelivery({ access: accessEvent({ status: 502, upstreamStatus: [502, 502] }) })).toMatchObject({ result: 'unreached', layer: 'access: upstream unreachable' });
    expect(classifyDelivery({ access: accessEvent({ status: 504, ms: 3001, upstreamStatus: [504] }) })).toMatchObject({ result: 'unreached' });
  });

  it('a retry on another receiver that worked is ok', () => {
    expect(classifyDelivery({ access: accessEvent({ upstreamStatus: [502, 200] }), receive: receiveEvent() }).result).toBe('ok');
  });
});

describe('slowestStep', () => {
  it('names the longest step', () => {
    expect(slowestStep({ verify: 1, decrypt: 3, enqueue: 2 })).toBe('decrypt');
    expect(slowestStep(undefined)).toBeUndefined();
  });
});
