// The faults suite's data-loss case (issue 14, failure 2): Redis without persistence restarted
// empty (SIGKILL, then started again with no AOF and no RDB) after a third of the load. The loss
// is not prevented — nothing can bring back what Redis forgot — but it must be detected and
// reported within one reconnect: a `redis_data_lost` error line from serve or worker and
// /readyz's body (durability.dataLost). Lost pushes are counted and reported, not a target;
// duplicated replies stay a target.
import { setTimeout as sleep } from 'node:timers/promises';
import type { FaultCase, FaultCaseResult, FaultTarget } from './case.js';
import { caseResult } from './result.js';
import { startStack } from './stack.js';

const NAME = 'data-loss';
const TITLE = 'Redis without persistence restarted empty under load: the loss detected and reported';
/** Seconds after Redis is back within which the loss must be reported (one reconnect and check). */
export const DETECT_WITHIN_S = 10;

/** The first `redis_data_lost` line at or after `sinceMs`, and its delay. */
export function firstLossLine(lines: readonly Record<string, unknown>[], sinceMs: number): { delayMs: number; layer: string } | undefined {
  let best: { delayMs: number; layer: string } | undefined;
  for (const l of lines) {
    if (l.code !== 'redis_data_lost' || typeof l.time !== 'number' || l.time < sinceMs) continue;
    const delayMs = l.time - sinceMs;
    if (!best || delayMs < best.delayMs) best = { delayMs, layer: String(l.layer ?? l.command ?? 'unknown') };
  }
  return best;
}

export const dataLoss: FaultCase = {
  name: NAME,
  title: TITLE,
  async run({ durationS, rate, workDir, log }): Promise<FaultCaseResult[]> {
    const stack = await startStack({ workDir, serves: 1, workers: 2, log });
    try {
      const loading = stack.load({ rate, durationS });
      await sleep((durationS * 1000) / 3);
      await stack.redis.stop(); // SIGKILL: no persistence, so the restarted server is empty
      await stack.redis.start();
      const backAt = Date.now();
      log('redis restarted empty');
      let readyzMs: number | undefined;
      let readyzBody: unknown;
      let lossLine: ReturnType<typeof firstLossLine>;
      while (Date.now() - backAt < 30_000 && (readyzMs === undefined || !lossLine)) {
        if (readyzMs === undefined) {
          const body = (await fetch(`${stack.serves[0]!.url}/readyz`, { signal: AbortSignal.timeout(1000) }).then((r) => r.json(), () => undefined)) as { durability?: { dataLost?: unknown } } | undefined;
          if (body?.durability?.dataLost) {
            readyzMs = Date.now() - backAt;
            readyzBody = body.durability.dataLost;
          }
        }
        lossLine ??= firstLossLine(stack.lines(), backAt);
        await sleep(250);
      }
      const results = await loading;
      const drainMs = await stack.drain(results, 30_000);
      const record = stack.record(results);
      const lossLines = stack.lines().filter((l) => l.code === 'redis_data_lost').length;
      const quotaFails = stack.lines().filter((l) => l.code === 'quota_no_window' || l.reason === 'quota_no_window').length;
      const targets: FaultTarget[] = [
        { name: 'loss reported', met: lossLine !== undefined && lossLine.delayMs <= DETECT_WITHIN_S * 1000, detail: lossLine ? `redis_data_lost from ${lossLine.layer} ${lossLine.delayMs} ms after Redis was back (target within ${DETECT_WITHIN_S} s)` : 'no redis_data_lost line within 30 s of Redis coming back' },
        { name: 'readyz shows it', met: readyzMs !== undefined, detail: readyzMs !== undefined ? `/readyz durability.dataLost set ${readyzMs} ms after Redis was back: ${JSON.stringify(readyzBody)}` : "/readyz's durability.dataLost still null 30 s after Redis was back" },
      ];
      const r = caseResult({ name: NAME, title: TITLE, record, drainMs, targets, lossIsTarget: false, notes: [] });
      r.notes.push(
        `Redis SIGKILLed and restarted empty ${Math.round(durationS / 3)} s into ${durationS} s at ${rate}/s; ${r.lost} of ${results.filter((m) => m.ackedOn > 0).length} acknowledged pushes lost (counted, not a target: nothing can bring back what Redis forgot)`,
        `${lossLines} redis_data_lost lines in all; ${quotaFails} quota_no_window lines`,
      );
      return [r];
    } finally {
      await stack.stop();
    }
  },
};
