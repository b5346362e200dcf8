import type { JobsOptions } from 'bullmq';
import { bodyDigest } from './nonce-bodies.js';

export interface InboundJobOptionsConfig {
  attempts?: number;
}

/**
 * The replay guard of an account that accepts plaintext (modes plain and compat): `signature`
 * covers (token, timestamp, nonce) but not the body, so a captured URL could carry another body
 * inside the timestamp window — a plaintext URL, or a safe-mode one stripped of encrypt_type and
 * msg_signature (issue 14), which is why a compat account records its encrypted pushes too. The nonce is
 * the job's BullMQ deduplication id, kept for `ttlMs` (throttle mode: it outlives the job's
 * completion). An add whose nonce is already held by another job is ignored and BullMQ answers
 * with that job's id — the same round trip both records the nonce and enqueues.
 * https://docs.bullmq.io/guide/jobs/deduplication
 * The message's digest is kept beside it (nonce-bodies.ts), for another body on the same MsgId.
 */
export interface ReplayGuard {
  readonly id: string;
  readonly ttlMs: number;
  /**
   * bodyDigest of the message's XML: the raw body, or an encrypted push's decrypted plaintext
   * (a retry re-encrypted with another random would still match). Absent in spool lines
   * written before it existed.
   */
  readonly bodyHash?: string;
}

/** The guard for one push: one per (account, timestamp, nonce), for twice the window. */
export function replayGuard(appid: string, timestamp: string, nonce: string, xml: string, toleranceS: number): ReplayGuard {
  return { id: `n_${appid}_${timestamp}_${nonce}`, ttlMs: 2 * toleranceS * 1000, bodyHash: bodyDigest(xml) };
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
