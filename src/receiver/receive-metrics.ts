// The receive path's metric updates, with the labelled children cached: prom-client hashes
// the label object on every inc/observe otherwise, and this runs once per push. The caches are
// keyed without building a string per push (issue 2: those keys were 2 % of its allocations).
import type { Metrics } from '../metrics.js';

export interface ReceiveMetrics {
  acked(appid: string, mode: string, outcome: string, steps: Readonly<Record<string, number | undefined>>, totalMs: number): void;
  rejected(appid: string, reason: string): void;
  verified(appid: string): void;
  /** Reply modes passive and auto: how the push was answered, after how long a wait. */
  passive(appid: string, answer: string, waitMs: number): void;
}

function cached<T>(make: (key: string) => T): (key: string) => T {
  const cache = new Map<string, T>();
  return (key) => {
    let value = cache.get(key);
    if (value === undefined) {
      value = make(key);
      cache.set(key, value);
    }
    return value;
  };
}

export function createReceiveMetrics(metrics: Metrics): ReceiveMetrics {
  const ack = cached((mode) => metrics.ackSeconds.labels(mode));
  const step = cached((name) => metrics.stepSeconds.labels(name));
  // appid → outcome (acked, spooled, verified) or rejection reason → counter child
  const outcomes = cached((appid) => cached((outcome) => metrics.pushes.labels(appid, outcome, '')));
  const answers = cached((appid) => cached((answer) => metrics.passiveAnswers.labels(appid, answer)));
  const waits = cached((answer) => metrics.passiveWaitSeconds.labels(answer));
  const rejections = cached((appid) => cached((reason) => metrics.pushes.labels(appid, 'rejected', reason)));
  return {
    acked(appid, mode, outcome, steps, totalMs) {
      outcomes(appid)(outcome).inc();
      ack(mode).observe(totalMs / 1000);
      for (const name in steps) step(name).observe((steps[name] ?? 0) / 1000);
    },
    rejected(appid, reason) {
      rejections(appid)(reason).inc();
    },
    verified(appid) {
      outcomes(appid)('verified').inc();
    },
    passive(appid, answer, waitMs) {
      answers(appid)(answer).inc();
      waits(answer).observe(waitMs / 1000);
    },
  };
}
