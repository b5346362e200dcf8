import type { JobsOptions } from 'bullmq';
import { bodyDigest } from './nonce-bodies.js';

export interface InboundJobOptionsConfig {
  attempts?: number;
}

/**
 * Plaintext mode's replay guard: the signature covers (token, timestamp, nonce) but not the
 * body, so a captured URL could carry another body inside the timestamp window. The nonce is
 * the job's BullMQ deduplication id, kept for `ttlMs` (throttle mode: it outlives the job's
 * completion). An add whose nonce is already held by another job is ignored and BullMQ answers
 * with that job's id — the same round trip both records the nonce and enqueues.
 * https://docs.bullmq.io/guide/jobs/deduplication
 * The body's digest is kept beside it (nonce-bodies.ts), for another body on the same MsgId.
 */
export interface ReplayGuard {
  readonly id: string;
  readonly ttlMs: number;
  /** bodyDigest of the raw body. Absent in spool lines written before it existed. */
  readonly bodyHash?: string;
}

/** The guard for a plaintext push: one per (account, timestamp, nonce), for twice the window. */
export function replayGuard(appid: string, timestamp: string, nonce: string, body: string, toleranceS: number): ReplayGuard {
  return { id: `n_${appid}_${timestamp}_${nonce}`, ttlMs: 2 * toleranceS * 1000, bodyHash: bodyDigest(body) };
}

/**
 * One place for the options of every inbound add, whether from the receiver or the spool
 * drainer. How long finished jobs are kept is the workers' setting (keep-finished.ts).
 */
export function inboundJobOptions(jobId: string, { attempts = 5 }: InboundJobOptionsConfig = {}, guard?: ReplayGuard): JobsOptions {
  return {
    jobId,
    attempts,
    backoff: { type: 'exponential', delay: 1000 },
    ...(guard && { deduplication: { id: guard.id, ttl: guard.ttlMs } }),
  };
}
