// An open-loop load at a constant rate: request i is due at start + i / rate, whatever the
// answers before it did. autocannon's `overallRate` is not that: each connection sends its
// share of the second back to back and then waits for the next second (autocannon
// lib/httpClient.js, `reqsMadeThisSecond`), so "2,000 req/s" is a 2,000-request burst every
// second and its latency is that of a saturated server. Latency here runs from the moment a
// request was due, not from when it went out, so a stall on our side is not hidden either
// (coordinated omission).
import { Agent } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import type { BuiltPush } from '../../src/dev/pushes.js';
import type { LoadResult } from './load.js';
import { sendPush } from './send-push.js';

export interface ConstantRateOptions {
  rate: number;
  durationS: number;
  /** Upper bound on concurrent connections (a stalled server gets no more than this in flight). */
  maxSockets?: number;
}

function quantile(sorted: readonly number[], q: number): number {
  return sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

export async function runConstantRate(target: string, pool: readonly BuiltPush[], { rate, durationS, maxSockets = 256 }: ConstantRateOptions): Promise<LoadResult> {
  const url = new URL(target);
  const agent = new Agent({ keepAlive: true, maxSockets });
  const total = Math.round(rate * durationS);
  const latencies: number[] = [];
  const inFlight: Promise<void>[] = [];
  let non2xx = 0;
  let errors = 0;
  const start = performance.now();
  for (let sent = 0; sent < total; ) {
    const due = Math.min(total, Math.floor(((performance.now() - start) * rate) / 1000) + 1);
    for (; sent < due; sent++) {
      const dueAt = start + (sent * 1000) / rate;
      inFlight.push(
        sendPush(agent, url, pool[sent % pool.length]!).then((status) => {
          latencies.push(performance.now() - dueAt);
          if (status === 0) errors++;
          else if (status < 200 || status >= 300) non2xx++;
        }),
      );
    }
    await sleep(1);
  }
  await Promise.all(inFlight);
  const elapsedS = (performance.now() - start) / 1000;
  agent.destroy();
  latencies.sort((a, b) => a - b);
  const ms = (x: number) => Math.round(x * 10) / 10;
  return { requests: total, rps: Math.round(total / elapsedS), p50: ms(quantile(latencies, 0.5)), p99: ms(quantile(latencies, 0.99)), non2xx, errors };
}
