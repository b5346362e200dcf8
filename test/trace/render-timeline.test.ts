import { describe, expect, it } from 'vitest';
import { groupMessages } from '../../src/trace/group.js';
import { renderTimeline } from '../../src/trace/render-timeline.js';
import { buildTimeline } from '../../src/trace/timeline.js';
import { T0, accessEvent, laterEvent, receiveEvent } from './events.js';

const render = (...events: Parameters<typeof groupMessages>[0]) => renderTimeline(buildTimeline(groupMessages(events)[0]!));

describe('renderTimeline', () => {
  it('names the message and prints one row per layer in Beijing time', () => {
    const out = render(accessEvent(), receiveEvent(), laterEvent('worker', { waitMs: 12 }));
    const lines = out.split('\n');
    expect(lines[0]).toBe('openid oA · wxA · text · stamp 1417435920 (2014-12-01 20:12:00 +08:00) · msgId 1001 · dedupKey m1001');
    expect(lines.find((l) => l.includes(' access '))).toMatch(/^ {2}20:12:00\.005 +#1 +access +5 ms .*200 +upstream 10\.0\.0\.10:3000 → 200 in 3 ms +reqId r1/);
    expect(lines.find((l) => l.includes(' worker '))).toMatch(/waited 12 ms in queue/);
    expect(lines.at(-1)).toMatch(/^ {2}=> success: answered in 5 ms \(acked\)/);
  });

  it('marks the slowest row and answers over 5 s', () => {
    const out = render(accessEvent({ ms: 5200 }), receiveEvent({ ms: 3 }));
    expect(out).toMatch(/access .*!! over 5 s before the answer: WeChat timed out and retried {2}<- slowest/);
    expect(out).toContain("!! an answer took WeChat's 5 s limit or more");
    expect(out).toMatch(/=> slow: no answer within 5 s: nginx spent 5\.20 s/);
  });

  it('marks refused rows', () => {
    const out = render(receiveEvent({ status: 401, outcome: 'rejected', reason: 'signature_mismatch', msgType: undefined, stamp: undefined, dedupKey: undefined }));
    expect(out).toMatch(/rejected signature_mismatch ✗/);
    expect(out).toMatch(/=> rejected: refused by the receiver: signature_mismatch \(401\)/);
  });

  it('shows an event by name', () => {
    expect(render(receiveEvent({ msgType: 'event', event: 'subscribe', end: T0 + 8 }))).toMatch(/^openid oA · wxA · event subscribe/);
  });
});
