// How a failed attempt leaves the processor, for both queues: the error is recorded on the job
// (code, errcode, errmsg: what `wxgate dlq` shows), then either rethrown for BullMQ to retry with
// backoff, or turned into BullMQ's UnrecoverableError so the job fails at once. Which of the two
// is decided by isRetryable (src/errors.ts) alone. A third way out, which is not a failure:
// postponeJob puts the job back as delayed without spending an attempt (the rate limit, the order
// of replies, a token that cannot be had: token-wait.ts).
import { DelayedError, UnrecoverableError as BullUnrecoverableError, type Job } from 'bullmq';
import { isRetryable, WxgateError } from '../errors.js';
import type { JobError } from './outbound-job.js';

/** WeChat's errcode and errmsg, on the errors that carry one (WeChatApiError, TokenUnavailableError…). */
function wechatAnswer(err: unknown): { errcode?: number; errmsg?: string } {
  if (!(err instanceof WxgateError)) return {};
  const { errcode, errmsg } = err as { errcode?: unknown; errmsg?: unknown };
  return { ...(typeof errcode === 'number' ? { errcode } : {}), ...(typeof errmsg === 'string' && errmsg ? { errmsg } : {}) };
}

export function describeError(err: unknown, attempt: number): JobError {
  const e = err instanceof Error ? err : new Error(String(err));
  return {
    code: err instanceof WxgateError ? err.code : e.name,
    message: e.message,
    ...wechatAnswer(err),
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

/** Back to delayed until `ms` from now; not an attempt (BullMQ's moveToDelayed skips the count). */
export async function postponeJob(job: Job, token: string | undefined, ms: number): Promise<never> {
  await job.moveToDelayed(Date.now() + ms, token);
  throw new DelayedError();
}
