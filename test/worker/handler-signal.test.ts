import { describe, expect, it } from 'vitest';
import { createHandlerSignal } from '../../src/worker/handler-signal.js';

describe('handler signal (made when first read)', () => {
  it('fires on abort when read before it', () => {
    const h = createHandlerSignal();
    const seen: unknown[] = [];
    h.signal.addEventListener('abort', () => seen.push(h.signal.reason));
    h.abort('time');
    expect(h.signal.aborted).toBe(true);
    expect(seen).toEqual(['time']);
  });

  it('is already aborted, with the first reason, when read after abort', () => {
    const h = createHandlerSignal();
    h.abort('first');
    h.abort('second');
    expect(h.signal.aborted).toBe(true);
    expect(h.signal.reason).toBe('first');
  });

  it("follows the job's own signal (BullMQ giving the job up)", () => {
    const job = new AbortController();
    const h = createHandlerSignal(job.signal);
    expect(h.signal.aborted).toBe(false);
    job.abort('cancelled');
    expect(h.signal.aborted).toBe(true);
    expect(h.signal).toBe(h.signal);
  });
});
