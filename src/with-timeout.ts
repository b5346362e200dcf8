import { UnavailableError } from './errors.js';

/**
 * Rejects with UnavailableError('redis_timeout') when `work` takes longer than `ms`.
 * One promise and one timer: it runs once per push on the receive path, where Promise.race and
 * an async wrapper were two more promises and microtask hops per push (issue 2's benchmark).
 */
export function withTimeout<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new UnavailableError('redis_timeout', `${what} took over ${ms} ms`)), ms);
    work.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (err: unknown) => {
        clearTimeout(timer);
        reject(err);
      },
    );
  });
}
