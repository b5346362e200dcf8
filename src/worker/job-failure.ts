// How a failed attempt leaves the processor, for both queues: the error is recorded on the job
// (code, errcode, errmsg: what `wxgate dlq` shows), then either rethrown for BullMQ to retry with
// backoff, or turned into BullMQ's UnrecoverableError so the job fails at once. Which of the two
// is decided by isRetryable (src/errors.ts) alone.
import { UnrecoverableError as BullUnrecoverableError, type Job } from 'bullmq';
import { isRetryable, WxgateError } from '../errors.js';
import { WeChatApiError } from '../wechat-api/errcodes.js';
import type { JobError } from './outbound-job.js';

export function describeError(err: unknown, attempt: number): JobError {
  const e = err instanceof Error ? err : new Error(String(err));
  const api = err instanceof WeChatApiError ? err : undefined;
  return {
    code: err instanceof WxgateError ? err.code : e.name,
    message: e.message,
    ...(api?.errcode !== undefined ? { errcode: api.errcode } : {}),
    ...(api?.errmsg ? { errmsg: api.errmsg } : {}),
    retryable: isRetryable(err),
    attempt,
    at: Date.now(),
  };
}

/** True when BullMQ will run the job again after this failure. */
export function willRetry(job: Job, err: unknown): boolean {
  return isRetryable(err) && job.attemptsMade + 1 < (job.opts.attempts ?? 1);
}

/** Records the failure on the job and throws what BullMQ needs to retry or to give up. */
export async function failJob(job: Job, err: unknown): Promise<never> {
  const info = describeError(err, job.attemptsMade + 1);
  await job.updateData({ ...job.data, lastError: info }).catch(() => undefined);
  if (!info.retryable) throw new BullUnrecoverableError(`${info.code}: ${info.message}`);
  throw err instanceof Error ? err : new Error(info.message);
}
