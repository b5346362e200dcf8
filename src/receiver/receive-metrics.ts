// The receive path's metric updates, with the labelled children cached: prom-client hashes
// the label object on every inc/observe otherwise, and this runs once per push.
import type { Metrics } from '../metrics.js';

export interface ReceiveMetrics {
  acked(appid: string, mode: string, outcome: string, steps: Readonly<Record<string, number | undefined>>, totalMs: number): void;
  rejected(appid: string, reason: string): void;
  verified(appid: string): void;
}

export function createReceiveMetrics(metrics: Metrics): ReceiveMetrics {
  const cache = new Map<string, { inc(): void } | { observe(v: number): void }>();
  function child<T>(key: string, make: () => T): T {
    let c = cache.get(key) as T | undefined;
    if (c === undefined) {
      c = make();
      cache.set(key, c as never);
    }
    return c;
  }
  const pushes = (appid: string, outcome: string, reason: string) => child(`p\n${appid}\n${outcome}\n${reason}`, () => metrics.pushes.labels(appid, outcome, reason));
  return {
    acked(appid, mode, outcome, steps, totalMs) {
      pushes(appid, outcome, '').inc();
      child(`a\n${mode}`, () => metrics.ackSeconds.labels(mode)).observe(totalMs / 1000);
      for (const step in steps) child(`s\n${step}`, () => metrics.stepSeconds.labels(step)).observe((steps[step] ?? 0) / 1000);
    },
    rejected(appid, reason) {
      pushes(appid, 'rejected', reason).inc();
    },
    verified(appid) {
      pushes(appid, 'verified', '').inc();
    },
  };
}
