// The receiver's side of the inbound queue: add a job, bounded in time so that a slow or
// unreachable Redis turns into a spool write, never into a WeChat timeout.
import { performance } from 'node:perf_hooks';
import { RequestError, UnavailableError } from '../errors.js';
import { withTimeout } from '../with-timeout.js';
import { inboundJobOptions, type InboundJobOptionsConfig, type ReplayGuard } from './inbound-job-options.js';
import type { InboundRoute } from './account-queues.js';
import type { ReplicaWait } from './replica-wait.js';
import { URL_VERIFICATION_JOB, type InboundJobData } from './jobs.js';
import type { NonceBodies } from './nonce-bodies.js';

export interface InboundProducer {
  /**
   * Resolves once Redis has the job (a duplicate id — WeChat retrying — is a no-op). Rejects
   * with UnavailableError when Redis does not answer in time, and with
   * RequestError('nonce_replayed') when the guard's nonce already belongs to another message
   * or came with another body.
   */
  add(data: InboundJobData, timeoutMs: number, guard?: ReplayGuard): Promise<void>;
  /**
   * Uses up a URL-verification GET's nonce (plain and compat accounts): WeChat signs the GET as it
   * signs a POST — `signature` over (Token, timestamp, nonce), nothing else — so the verification
   * URL, seen once, would otherwise carry a push with any body inside the timestamp window.
   */
  reserve(appid: string, guard: ReplayGuard, timeoutMs: number): Promise<void>;
}

/** The body record of a verification GET's nonce: no body's digest (base64 SHA-256) equals it. */
const URL_VERIFICATION_DIGEST = 'url_verification';

export function createInboundProducer(
  { route, nonceBodies, replicaWait }: { route: InboundRoute; nonceBodies: NonceBodies; replicaWait?: ReplicaWait },
  { shardedAppids = new Set<string>(), ...jobOptions }: InboundJobOptionsConfig & { shardedAppids?: ReadonlySet<string> } = {},
): InboundProducer {
  return {
    async reserve(appid, guard, timeoutMs) {
      // The job holds the deduplication id in the account's queue (the one queue of an account
      // without shards); the body record stops a POST on an account with shards, which checks it first.
      const jobId = `v_${guard.id}`;
      const data: InboundJobData = { appid, message: { MsgType: URL_VERIFICATION_JOB, ToUserName: '', FromUserName: '', CreateTime: '0' }, dedupKey: jobId, receivedAt: Date.now(), reqId: jobId };
      const adding = route(appid, jobId).add(URL_VERIFICATION_JOB, data, inboundJobOptions(jobId, { attempts: 1 }, guard));
      await withTimeout(Promise.all([adding, nonceBodies.check(appid, { ...guard, bodyHash: URL_VERIFICATION_DIGEST })]), timeoutMs, 'nonce reservation');
    },
    async add(data, timeoutMs, guard) {
      const started = performance.now();
      const queue = route(data.appid, data.dedupKey);
      let job;
      let verdict;
      try {
        // The body check's SET leaves in the add's write (redis-write-batch.ts): one round trip.
        // It cannot stop the add beside it; the add's own deduplication id does that for another
        // message, and a same-MsgId body finds its job already there. Not on an account with
        // inbound shards: the deduplication id lives in one shard's queue, and another message on
        // a seen nonce goes to another shard, so there the body check comes first and decides.
        const first = guard && shardedAppids.has(data.appid) ? await withTimeout(nonceBodies.check(data.appid, guard), timeoutMs, 'nonce check') : undefined;
        if (first === 'other') throw new RequestError('nonce_replayed', 'nonce already used with another body');
        const adding = queue.add(data.message.MsgType, data, inboundJobOptions(data.dedupKey, jobOptions, guard));
        const checking = first ?? (guard && nonceBodies.check(data.appid, guard));
        [job, verdict] = await withTimeout(Promise.all([adding, checking]), timeoutMs - (performance.now() - started), 'enqueue');
      } catch (err) {
        if (err instanceof UnavailableError || err instanceof RequestError) throw err;
        throw new UnavailableError('redis_unavailable', `Redis refused the job: ${(err as Error).message}`, err);
      }
      if (job.id !== data.dedupKey) throw new RequestError('nonce_replayed', 'nonce already used with another message');
      if (verdict === 'other') throw new RequestError('nonce_replayed', 'nonce already used with another body');
      if (replicaWait && replicaWait.replicas > 0) {
        // Within what is left of the enqueue's time: a late answer is a spooled push, not a WeChat timeout.
        const left = timeoutMs - (performance.now() - started);
        if (left < 1) throw new UnavailableError('replicas_unavailable', 'no time left to wait for the replicas (WXGATE_REDIS_WAIT_REPLICAS)');
        try {
          await withTimeout(replicaWait.wait(queue.toKey('id'), left), left + 50, 'replica wait');
        } catch (err) {
          if (err instanceof UnavailableError) throw err;
          throw new UnavailableError('replicas_unavailable', `WAIT failed: ${(err as Error).message}`, err);
        }
      }
    },
  };
}
