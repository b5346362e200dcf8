// The faults suite's Redis outage (issue 14): under steady load, the redis-server is SIGKILLed
// for 30 s and started again (from its AOF, as a supervisor would), or hung with SIGSTOP for 15 s
// and resumed. While it is away every push must still get `success` (the receiver spools it to
// disk within WXGATE_ENQUEUE_TIMEOUT_MS), and once it is back every spooled push is drained,
// handled once and replied to once.
import { setTimeout as sleep } from 'node:timers/promises';
import type { FaultCase, FaultCaseOptions, FaultCaseResult } from './case.js';
import { caseResult } from './result.js';
import { isSuccess, startStack } from './stack.js';

const NAME = 'redis-outage';
const TITLE = 'Redis away under load';

type Variant = 'killed' | 'hung';

const quantile = (xs: number[], q: number) => (xs.length === 0 ? 0 : [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))]!);

async function runVariant(variant: Variant, { durationS, rate, workDir, log }: FaultCaseOptions): Promise<FaultCaseResult> {
  // Persistence on: a SIGKILL loses nothing a write() reached, so what is counted is wxgate's.
  const stack = await startStack({ workDir, redisArgs: ['--appendonly', 'yes', '--appendfsync', 'everysec'], log });
  try {
    const awayS = variant === 'killed' ? Math.min(30, Math.round(durationS / 2)) : Math.min(15, Math.round(durationS / 4));
    const atS = Math.max(2, Math.round(durationS / 6));
    let awayFrom = 0;
    let backAt = 0;
    const fault = (async () => {
      await sleep(atS * 1000);
      awayFrom = Date.now();
      if (variant === 'killed') await stack.redis.stop();
      else stack.redis.signal('SIGSTOP');
      log(`redis ${variant} at ${atS} s for ${awayS} s`);
      await sleep(awayS * 1000);
      if (variant === 'killed') await stack.redis.start();
      else stack.redis.signal('SIGCONT');
      backAt = Date.now();
      log('redis back');
    })();
    const results = await stack.load({ rate, durationS });
    await fault;
    const loadEnd = Date.now();
    const drainMs = await stack.drain(results);
    await sleep(1500); // a duplicate reply would come within this
    const record = stack.record(results);
    const deliveries = results.flatMap((r) => r.deliveries);
    const during = deliveries.filter((d) => d.at >= awayFrom && d.at < backAt);
    const notSuccess = during.filter((d) => !isSuccess(d)).length;
    const lines = stack.lines();
    const spooled = lines.filter((l) => l.layer === 'receive' && l.outcome === 'spooled').length;
    const ms = during.filter(isSuccess).map((d) => d.ms);
    const drained = lines.filter((l) => l.layer === 'spool' && l.msg === 'spool drained' && Number(l.time) >= backAt).map((l) => Number(l.time));
    const spoolDrainedS = drained.length > 0 ? ((Math.max(...drained) - backAt) / 1000).toFixed(1) : undefined;
    const runs = new Map<string, number>();
    for (const k of record.handlerRuns) runs.set(k, (runs.get(k) ?? 0) + 1);
    return caseResult({
      name: NAME,
      title: TITLE,
      variant: variant === 'killed' ? `SIGKILL ${awayS} s` : `SIGSTOP ${awayS} s`,
      record,
      drainMs,
      targets: [{ name: 'success while away', met: notSuccess === 0, detail: `${notSuccess} of ${during.length} deliveries made while Redis was ${variant} were not answered \`success\` (target 0)` }],
      notes: [
        `Redis ${variant} ${atS} s into the load for ${awayS} s; ${during.length} deliveries meanwhile, answered in p50 ${quantile(ms, 0.5).toFixed(1)} ms, p99 ${quantile(ms, 0.99).toFixed(1)} ms; ${spooled} pushes spooled${spoolDrainedS ? `, the spool drained ${spoolDrainedS} s after Redis was back` : ''}`,
        `every acknowledged push replied to ${drainMs ?? '—'} ms after the load ended (${Math.round((loadEnd - backAt) / 1000)} s after Redis was back); handler runs beyond one: ${[...runs.values()].filter((n) => n > 1).length} messages`,
      ],
    });
  } finally {
    await stack.stop();
  }
}

export const redisOutage: FaultCase = {
  name: NAME,
  title: TITLE,
  async run(options) {
    const out: FaultCaseResult[] = [];
    for (const variant of ['killed', 'hung'] as const) out.push(await runVariant(variant, options));
    return out;
  },
};
