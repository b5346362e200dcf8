import { expect } from 'vitest';

/** The `code` of the error `fn` throws, after checking its class; undefined when it does not throw. */
export function errorCode<E extends Error & { code: string }>(fn: () => unknown, type: abstract new (...args: never[]) => E): string | undefined {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(type);
    return (err as E).code;
  }
  return undefined;
}
