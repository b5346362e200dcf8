import { describe, expect, it } from 'vitest';
import { num, parseWxgate, str } from '../../src/trace/parse-wxgate.js';

describe('parseWxgate', () => {
  it('reads the contract fields of a receive line', () => {
    const e = parseWxgate({
      level: 30, time: 1417435930103, pid: 1, layer: 'receive', appid: 'wxA', openid: 'oA', reqId: 'r1', stamp: 1417435925,
      msgType: 'event', event: 'subscribe', dedupKey: 'k', status: 200, outcome: 'acked', steps: { verify: 0.2, enqueue: 3 }, ms: 3.4, msg: 'push acknowledged',
    });
    expect(e).toEqual({
      layer: 'receive', end: 1417435930103, ms: 3.4, pid: 1, appid: 'wxA', openid: 'oA', stamp: 1417435925, msgType: 'event', event: 'subscribe',
      dedupKey: 'k', reqId: 'r1', status: 200, outcome: 'acked', steps: { verify: 0.2, enqueue: 3 }, msg: 'push acknowledged',
    });
  });

  it('reads how a push of reply mode passive or auto was answered (issue 17)', () => {
    const e = parseWxgate({ time: 1417435930103, layer: 'receive', outcome: 'acked', answer: 'passive', replyWaitMs: 41.2, handOverMs: 0.8, ms: 43 });
    expect(e).toMatchObject({ answer: 'passive', replyWaitMs: 41.2, handOverMs: 0.8 });
  });

  it('reads rejections and send failures', () => {
    expect(parseWxgate({ time: 1, layer: 'receive', status: 401, outcome: 'rejected', reason: 'signature_mismatch' })).toMatchObject({ status: 401, reason: 'signature_mismatch' });
    expect(parseWxgate({ time: 1, layer: 'send', outcome: 'failed', errcode: 45015, waitMs: 20 })).toMatchObject({ errcode: 45015, waitMs: 20 });
  });

  it('takes numeric strings as numbers and ISO times as times', () => {
    const e = parseWxgate({ time: '2014-12-01T12:12:00.000Z', layer: 'worker', stamp: '1417435925', ms: '12' });
    expect(e).toMatchObject({ end: Date.UTC(2014, 11, 1, 12, 12, 0), stamp: 1417435925, ms: 12 });
  });

  it('is not a layer line without layer or time', () => {
    expect(parseWxgate({ time: 1, msg: 'hello' })).toBeUndefined();
    expect(parseWxgate({ layer: 'receive' })).toBeUndefined();
  });

  it('drops fields of the wrong kind', () => {
    const e = parseWxgate({ time: 1417435930103, layer: 'receive', status: 'n/a', steps: { verify: 'x' }, openid: '' });
    expect(e).toEqual({ layer: 'receive', end: 1417435930103 });
  });

  it('takes a small time as epoch seconds', () => {
    expect(parseWxgate({ time: 1417435930.5, layer: 'token' })!.end).toBe(1417435930500);
  });
});

describe('str and num', () => {
  it('convert leniently', () => {
    expect(str(12)).toBe('12');
    expect(str({})).toBeUndefined();
    expect(num('-')).toBeUndefined();
    expect(num(' 0.5')).toBe(0.5);
    expect(num(Infinity)).toBeUndefined();
  });
});
