import { describe, expect, it } from 'vitest';
import { classifyDelivery, slowestStep } from '../../src/trace/classify.js';
import { accessEvent, receiveEvent } from './events.js';

describe('classifyDelivery', () => {
  it('ok: success within 5 s', () => {
    expect(classifyDelivery({ access: accessEvent(), receive: receiveEvent() })).toMatchObject({ result: 'ok', answerMs: 5, status: 200 });
  });

  it('slow in nginx while the receiver was quick: access/network', () => {
    const v = classifyDelivery({ access: accessEvent({ ms: 5200, upstreamMs: 4 }), receive: receiveEvent({ ms: 3 }) });
    expect(v).toMatchObject({ result: 'slow', layer: 'access/network', answerMs: 5200 });
    expect(v.text).toMatch(/outside the receiver/);
  });

  it('slow waiting on the receiver connection, receiver quick: access/network too', () => {
    const v = classifyDelivery({ access: accessEvent({ ms: 5200, upstreamMs: 5190 }), receive: receiveEvent({ ms: 3 }) });
    expect(v).toMatchObject({ result: 'slow', layer: 'access/network' });
    expect(v.text).toMatch(/waiting on the receiver/);
  });

  it('slow in the receiver: its slowest step', () => {
    const v = classifyDelivery({ access: accessEvent({ ms: 5108 }), receive: receiveEvent({ ms: 5102, steps: { verify: 0.2, enqueue: 5101 } }) });
    expect(v).toMatchObject({ result: 'slow', layer: 'receive: enqueue' });
  });

  it('slow without nginx in front: the receiver\'s own time', () => {
    expect(classifyDelivery({ receive: receiveEvent({ ms: 6000, steps: { spool: 5990 } }) })).toMatchObject({ result: 'slow', layer: 'receive: spool' });
  });

  it('499: WeChat hung up', () => {
    expect(classifyDelivery({ access: accessEvent({ status: 499, ms: 4990, upstreamStatus: [] }) })).toMatchObject({ result: 'slow', layer: 'access/network' });
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
