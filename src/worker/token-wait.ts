// A queued send whose access_token cannot be had (TokenUnavailableError) waits: the job goes back
// to delayed without spending an attempt, with a backoff per job (doubling from baseMs, capped at
// maxMs, ±20 % so the account's sends do not wake together), for as long as the reply can still
// be sent: past `deadline` (the user's customer-service window) it fails with
// token_unavailable_window_closed. The token keeper's own backoff decides how often WeChat is
// asked; a waiting send that wakes before that is told so at once, without a fetch.
//
// Use from any processor of queued sends (reply jobs, template campaigns):
//   catch (err) { if (err instanceof TokenUnavailableError) return tokenWait.wait(job, token, err, { deadline, log }); return failJob(job, err); }
import type { Job } from 'bullmq';
import type { Logger } from '../logger.js';
import type { TokenAvailability } from '../wechat-api/token-availability.js';
import type { TokenUnavailableError } from '../wechat-api/token-unavailable.js';
import { describeError, failJob, postponeJob } from './job-failure.js';
import { TokenWaitExpiredError } from './worker-errors.js';

export interface TokenWaitOptions {
  /** First wait; doubled on each wait of the same job. */
  baseMs?: number;
  /** The longest single wait. */
  maxMs?: number;
}

export interface TokenWait {
  /** Postpones the job (throws BullMQ's DelayedError), or fails it once `deadline` (epoch ms) has passed. */
  wait(job: Job, token: string | undefined, err: TokenUnavailableError, at: { deadline: number; log: Logger }): Promise<never>;
}

/** Job data the waits leave behind: how many, for the backoff. */
export interface TokenWaitData {
  readonly tokenWaits?: number;
}

export function createTokenWait({ availability }: { availability?: Pick<TokenAvailability, 'waited'> } = {}, { baseMs = 1000, maxMs = 60_000 }: TokenWaitOptions = {}): TokenWait {
  return {
    async wait(job, token, err, { deadline, log }) {
      const now = Date.now();
      const keys = { appid: err.appid, code: err.reason, errcode: err.errcode, attempt: job.attemptsMade + 1 };
      if (now >= deadline) {
        log.error({ ...keys, outcome: 'failed', waits: (job.data as TokenWaitData).tokenWaits ?? 0 }, 'reply not sent: the reply window closed while the access_token was unavailable');
        return failJob(job, new TokenWaitExpiredError(err, deadline));
      }
      const waits = (job.data as TokenWaitData).tokenWaits ?? 0;
      const backoff = Math.min(maxMs, baseMs * 2 ** Math.min(30, waits)) * (0.8 + Math.random() * 0.4);
      const ms = Math.max(10, Math.round(Math.min(backoff, deadline - now)));
      await job.updateData({ ...job.data, tokenWaits: waits + 1, lastError: describeError(err, job.attemptsMade + 1) });
      availability?.waited(err.appid);
      log.debug({ ...keys, outcome: 'waiting', waits: waits + 1, waitMs: ms }, 'send waiting: access_token unavailable');
      return postponeJob(job, token, ms);
    },
  };
}
