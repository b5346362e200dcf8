// The worker's own failures, as classes so that isRetryable (src/errors.ts) decides from them.
import { WxgateError } from '../errors.js';
import type { TokenUnavailableError } from '../wechat-api/token-unavailable.js';

export type QuotaCode = 'quota_window_closed' | 'quota_exhausted';

/**
 * The reply would break WeChat's customer-service limits (a window opened by the user's last
 * interaction, a number of replies within it): failed at once, no API call. WeChat would answer
 * 45015 / 45047, and each refused call still costs API quota.
 */
export class ReplyQuotaError extends WxgateError {
  declare readonly code: QuotaCode;
  constructor(code: QuotaCode, message: string) {
    super(code, message, { status: 429, retryable: false });
  }
}

/** The handler ran past config.worker.jobTimeoutMs; its signal was aborted. Retried with backoff. */
export class HandlerTimeoutError extends WxgateError {
  constructor(ms: number) {
    super('handler_timeout', `the handler did not finish within ${ms} ms`, { retryable: true });
  }
}


/**
 * The reply waited for an access_token (TokenUnavailableError) until the user's customer-service
 * window closed: WeChat would now refuse it (45015), so it fails, keeping the token failure's
 * errcode for `wxgate dlq`.
 */
export class TokenWaitExpiredError extends WxgateError {
  readonly errcode: number | undefined;
  readonly errmsg: string;
  constructor(unavailable: TokenUnavailableError, deadline: number) {
    super('token_unavailable_window_closed', `the reply window closed at ${new Date(deadline).toISOString()} while the access_token of ${unavailable.appid} was unavailable (${unavailable.reason}): ${unavailable.hint}`, {
      status: 503,
      retryable: false,
      cause: unavailable,
    });
    this.errcode = unavailable.errcode;
    this.errmsg = unavailable.errmsg;
  }
}

/**
 * BullMQ gave up on a job whose worker died more than maxStalledCount times while running it
 * (kill -9, OOM, a handler that blocks the event loop past the lock): the job is in the failed
 * set (`wxgate dlq retry` runs it again), never silently gone (issue 14).
 */
export class JobStalledTooOftenError extends WxgateError {
  constructor(stalls: number) {
    super('job_stalled_too_often', `the job's worker died (or froze past its lock) more than ${stalls} times while running it`, { retryable: false });
  }
}

/**
 * A run of a reply job found that an earlier run died while its send was in flight: WeChat may
 * or may not have the message, and its customer-service API cannot be asked. With
 * WXGATE_UNKNOWN_SEND=hold (the default) the job fails at once into the dead-letter list, where
 * `wxgate dlq retry` sends it if the operator finds it did not arrive (issue 14 item 4).
 */
export class SendOutcomeUnknownError extends WxgateError {
  readonly sendingSince: number;
  constructor(sendingSince: number) {
    super('send_outcome_unknown', `an earlier run of this reply died while its send was in flight (since ${new Date(sendingSince).toISOString()}): WeChat may have it; not sent again (WXGATE_UNKNOWN_SEND=hold), \`wxgate dlq retry\` sends it`, { status: 500, retryable: false });
    this.sendingSince = sendingSince;
  }
}
