// The receiver's side of the inbound queue: add a job, bounded in time so that a slow or
// unreachable Redis turns into a spool write, never into a WeChat timeout.
import type { Queue } from 'bullmq';
import { RequestError, UnavailableError } from '../errors.js';
import { withTimeout } from '../with-timeout.js';
import { inboundJobOptions, type InboundJobOptionsConfig, type ReplayGuard } from './inbound-job-options.js';
import type { InboundJobData } from './jobs.js';
import type { NonceBodies, NonceVerdict } from './nonce-bodies.js';

export interface InboundProducer {
  /**
   * Resolves once Redis has the job (a duplicate id — WeChat retrying — is a no-op). Rejects
   * with UnavailableError when Redis does not answer in time, and with
   * RequestError('nonce_replayed') when the guard's nonce already belongs to another message
   * or came with another body.
   */
  add(data: InboundJobData, timeoutMs: number, guard?: ReplayGuard): Promise<void>;
}

const FIRST: Promise<NonceVerdict> = Promise.resolve('first');

export function createInboundProducer({ queue, nonceBodies }: { queue: Queue; nonceBodies: NonceBodies }, jobOptions: InboundJobOptionsConfig = {}): InboundProducer {
  return {
    async add(data, timeoutMs, guard) {
      let job;
      let verdict;
      try {
        // Both commands leave in one write and are answered together: one round trip. The SET
        // cannot stop the add it travels with, so "other body" with a job just made is possible
        // when an earlier push on this nonce got its SET but not its add (it was spooled): that
        // push is refused here but its job stays, as it did before bodies were compared, when a
        // spooled first push left the nonce free. The drainer checks before it adds.
        const adding = queue.add(data.message.MsgType, data, inboundJobOptions(data.dedupKey, jobOptions, guard));
        const checking = guard ? nonceBodies.check(guard) : FIRST;
        [job, verdict] = await withTimeout(Promise.all([adding, checking]), timeoutMs, 'enqueue');
      } catch (err) {
        if (err instanceof UnavailableError) throw err;
        throw new UnavailableError('redis_unavailable', `Redis refused the job: ${(err as Error).message}`, err);
      }
      if (job.id !== data.dedupKey) throw new RequestError('nonce_replayed', 'nonce already used with another message');
      if (verdict === 'other') throw new RequestError('nonce_replayed', 'nonce already used with another body');
    },
  };
}
