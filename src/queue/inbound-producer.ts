// The receiver's side of the inbound queue: add a job, bounded in time so that a slow or
// unreachable Redis turns into a spool write, never into a WeChat timeout.
import type { Queue } from 'bullmq';
import { UnavailableError } from '../errors.js';
import { withTimeout } from '../with-timeout.js';
import { inboundJobOptions, type InboundJobOptionsConfig } from './inbound-job-options.js';
import type { InboundJobData } from './jobs.js';

export interface InboundProducer {
  /** Resolves once Redis has the job (a duplicate id is a no-op); rejects with UnavailableError. */
  add(data: InboundJobData, timeoutMs: number): Promise<void>;
}

export function createInboundProducer({ queue }: { queue: Queue }, jobOptions: InboundJobOptionsConfig = {}): InboundProducer {
  return {
    async add(data, timeoutMs) {
      try {
        await withTimeout(queue.add(data.message.MsgType, data, inboundJobOptions(data.dedupKey, jobOptions)), timeoutMs, 'enqueue');
      } catch (err) {
        if (err instanceof UnavailableError) throw err;
        throw new UnavailableError('redis_unavailable', `Redis refused the job: ${(err as Error).message}`, err);
      }
    },
  };
}
