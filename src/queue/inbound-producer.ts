// The receiver's side of the inbound queue: add a job, bounded in time so that a slow or
// unreachable Redis turns into a spool write, never into a WeChat timeout.
import { RequestError, UnavailableError } from '../errors.js';
import { withTimeout } from '../with-timeout.js';
import { inboundJobOptions, type InboundJobOptionsConfig, type ReplayGuard } from './inbound-job-options.js';
import type { InboundRoute } from './account-queues.js';
import type { InboundJobData } from './jobs.js';
import type { NonceBodies } from './nonce-bodies.js';

export interface InboundProducer {
  /**
   * Resolves once Redis has the job (a duplicate id — WeChat retrying — is a no-op). Rejects
   * with UnavailableError when Redis does not answer in time, and with
   * RequestError('nonce_replayed') when the guard's nonce already belongs to another message
   * or came with another body.
   */
  add(data: InboundJobData, timeoutMs: number, guard?: ReplayGuard): Promise<void>;
}

export function createInboundProducer({ route, nonceBodies }: { route: InboundRoute; nonceBodies: NonceBodies }, jobOptions: InboundJobOptionsConfig = {}): InboundProducer {
  return {
    async add(data, timeoutMs, guard) {
      let job;
      let verdict;
      try {
        // The body check's SET leaves in the add's write (redis-write-batch.ts): one round trip.
        // It cannot stop the add beside it; the add's own deduplication id does that for another
        // message, and a same-MsgId body finds its job already there.
        const adding = route(data.appid, data.dedupKey).add(data.message.MsgType, data, inboundJobOptions(data.dedupKey, jobOptions, guard));
        [job, verdict] = await withTimeout(Promise.all([adding, guard && nonceBodies.check(data.appid, guard)]), timeoutMs, 'enqueue');
      } catch (err) {
        if (err instanceof UnavailableError) throw err;
        throw new UnavailableError('redis_unavailable', `Redis refused the job: ${(err as Error).message}`, err);
      }
      if (job.id !== data.dedupKey) throw new RequestError('nonce_replayed', 'nonce already used with another message');
      if (verdict === 'other') throw new RequestError('nonce_replayed', 'nonce already used with another body');
    },
  };
}
