import { afterEach, describe, expect, it, vi } from 'vitest';
import { UnavailableError } from '../src/errors.js';
import { withTimeout } from '../src/with-timeout.js';

describe('withTimeout', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('resolves with the work and leaves no timer behind', async () => {
    vi.useFakeTimers();
    await expect(withTimeout(Promise.resolve(42), 1000, 'work')).resolves.toBe(42);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('passes the work’s own rejection through and clears its timer', async () => {
    vi.useFakeTimers();
    const err = new Error('refused');
    await expect(withTimeout(Promise.reject(err), 1000, 'work')).rejects.toBe(err);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('rejects with redis_timeout when the work takes longer than the bound', async () => {
    vi.useFakeTimers();
    const pending = withTimeout(new Promise<never>(() => undefined), 1000, 'enqueue');
    const outcome = pending.catch((err: unknown) => err);
    await vi.advanceTimersByTimeAsync(999);
    vi.advanceTimersByTime(1);
    const err = await outcome;
    expect(err).toBeInstanceOf(UnavailableError);
    expect((err as UnavailableError).code).toBe('redis_timeout');
  });
});
