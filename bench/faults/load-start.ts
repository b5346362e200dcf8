// When a fault case's load has really begun: the first reply at the mock. The load builds every
// push before it sends the first (stack.ts, `prebuild`), so the faults are timed from here rather
// than from the call, or the first one could fall before any push was sent.
import { setTimeout as sleep } from 'node:timers/promises';
import type { FaultStack } from './stack.js';

/** Epoch ms of the first reply at the mock (or of the give-up, after `timeoutMs`). */
export async function loadStarted(stack: FaultStack, timeoutMs = 30_000): Promise<number> {
  const started = Date.now();
  while (stack.mock.state.sent({ limit: 1 }).length === 0 && Date.now() - started < timeoutMs) await sleep(20);
  return Date.now();
}
