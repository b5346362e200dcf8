import type { JobsOptions } from 'bullmq';

export interface InboundJobOptionsConfig {
  attempts?: number;
}

/**
 * Plaintext mode's replay guard: the signature covers (token, timestamp, nonce) but not the
 * body, so a captured URL could carry another body inside the timestamp window. The nonce is
 * the job's BullMQ deduplication id, kept for `ttlMs` (throttle mode: it outlives the job's
 * completion). An add whose nonce is already held by another job is ignored and BullMQ answers
 * with that job's id — one Redis round trip both records the nonce and enqueues.
 * https://docs.bullmq.io/guide/jobs/deduplication
 */
export interface ReplayGuard {
  readonly id: string;
  readonly ttlMs: number;
}

/** The guard for a plaintext push: one per (account, timestamp, nonce), for twice the window. */
export function replayGuard(appid: string, timestamp: string, nonce: string, toleranceS: number): ReplayGuard {
  return { id: `n_${appid}_${timestamp}_${nonce}`, ttlMs: 2 * toleranceS * 1000 };
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
