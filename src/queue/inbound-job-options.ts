import type { JobsOptions } from 'bullmq';

export interface InboundJobOptionsConfig {
  attempts?: number;
  /** Finished jobs are the dedup record: keep them well past WeChat's retries (3 deliveries ~5 s apart). */
  keepCompletedS?: number;
  keepFailedS?: number;
}

/** One place for the options of every inbound add, whether from the receiver or the spool drainer. */
export function inboundJobOptions(jobId: string, { attempts = 5, keepCompletedS = 24 * 3600, keepFailedS = 7 * 24 * 3600 }: InboundJobOptionsConfig = {}): JobsOptions {
  return {
    jobId,
    attempts,
    backoff: { type: 'exponential', delay: 1000 },
    removeOnComplete: { age: keepCompletedS },
    removeOnFail: { age: keepFailedS },
  };
}
