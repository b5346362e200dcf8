// Makes an acknowledged push durable: into Redis within a time bound, else into the local
// spool (fsynced). Only if both fail does the push get a 503 (UnavailableError), so that
// WeChat delivers it again.
import { performance } from 'node:perf_hooks';
import { UnavailableError } from '../errors.js';
import type { ReplayGuard } from '../queue/inbound-job-options.js';
import type { InboundProducer } from '../queue/inbound-producer.js';
import { INBOUND_QUEUE, type InboundJobData } from '../queue/jobs.js';
import type { Spool } from '../queue/spool.js';

export interface StoreResult {
  readonly outcome: 'acked' | 'spooled';
  readonly ms: number;
}

export interface PushStore {
  /** `guard`: the replay guard (plain and compat accounts), checked in the same round trip as the add. */
  store(job: InboundJobData, guard?: ReplayGuard): Promise<StoreResult>;
  /** A URL-verification GET's nonce, used up (inbound-producer.ts); rejects when Redis cannot take it in time. */
  reserve(appid: string, guard: ReplayGuard): Promise<void>;
}

export function createPushStore({ producer, spool }: { producer: InboundProducer; spool: Spool }, { timeoutMs = 1000 }: { timeoutMs?: number } = {}): PushStore {
  return {
    reserve: (appid, guard) => producer.reserve(appid, guard, timeoutMs),
    async store(job, guard) {
      const started = performance.now();
      try {
        await producer.add(job, timeoutMs, guard);
        return { outcome: 'acked', ms: performance.now() - started };
      } catch (err) {
        if (!(err instanceof UnavailableError)) throw err; // e.g. nonce_replayed
        // Redis is down or slow: the line keeps the guard, so the replay check runs at drain time.
        await spool.append({ queue: INBOUND_QUEUE, jobId: job.dedupKey, data: job, guard });
        return { outcome: 'spooled', ms: performance.now() - started };
      }
    },
  };
}
