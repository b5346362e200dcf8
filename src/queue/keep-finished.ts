// How long finished jobs stay in Redis, for both queues. A completed inbound job is the dedup
// record that answers WeChat's retries (3 deliveries ~5 s apart) with `success` and no second
// run; failed jobs are the dead-letter list (`wxgate dlq`). Set on the workers, which apply it
// to every job that has no setting of its own, rather than in each job's options: packing
// removeOnComplete/removeOnFail into every add cost ~4 µs of the receiver's CPU per push
// (26.5 → 22.7 µs per BullMQ add, side by side), and stored them with every job.
import type { WorkerOptions } from 'bullmq';

export interface KeepFinishedOptions {
  keepCompletedS?: number;
  keepFailedS?: number;
}

/** A completed job answers WeChat's retries for a day; a failed one waits a week for `wxgate dlq`. */
export const KEEP_COMPLETED_S = 24 * 3600;
export const KEEP_FAILED_S = 7 * 24 * 3600;

export function keepFinished({ keepCompletedS = KEEP_COMPLETED_S, keepFailedS = KEEP_FAILED_S }: KeepFinishedOptions = {}): Pick<WorkerOptions, 'removeOnComplete' | 'removeOnFail'> {
  return { removeOnComplete: { age: keepCompletedS }, removeOnFail: { age: keepFailedS } };
}
