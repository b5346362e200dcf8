// One outbound job = one call to the WeChat API with the shared access_token. Before the call:
// the replies of one message go out in order (reply n waits while reply n-1 is still pending),
// the user's reply quota is counted (refused at once, no API call, when used up or closed), and
// the appid's rate limit is honoured (the job waits as delayed, which is not an attempt); those
// two in one round trip (send-admission.ts).
// The client invalidates a stale token and retries once itself; what it throws is classified by
// its class (src/wechat-api/errcodes.ts) and failJob turns that into retry or failed.
import { performance } from 'node:perf_hooks';
import { DelayedError, type Job, type Queue } from 'bullmq';
import type { Logger } from '../logger.js';
import type { WeChatClient } from '../wechat-api/client.js';
import { describeError, failJob, willRetry } from './job-failure.js';
import { outboundJobId, type OutboundJobData } from './outbound-job.js';
import type { SendAdmission } from './send-admission.js';

export type OutboundClient = Pick<WeChatClient, 'sendCustom' | 'sendTyping'>;

export interface OutboundDeps {
  client: OutboundClient;
  /** The user's reply quota and the appid's rate limit, in one call. */
  admission: SendAdmission;
  /** The outbound queue, to look up the previous reply's state. */
  queue: Queue;
  logger: Logger;
}

export interface OutboundResult {
  errcode: 0;
  ms: number;
}

const PENDING = new Set(['waiting', 'active', 'delayed', 'prioritized', 'waiting-children']);

async function postpone(job: Job, token: string | undefined, ms: number, log: Logger, reason: 'order' | 'rate'): Promise<never> {
  log.debug({ reason, waitMs: ms }, reason === 'rate' ? 'send postponed: appid rate limit' : 'send postponed: previous reply still pending');
  await job.moveToDelayed(Date.now() + ms, token);
  throw new DelayedError();
}

const round = (n: number) => Math.round(n * 10) / 10;

export function createOutboundProcessor({ client, admission, queue, logger }: OutboundDeps, { orderDelayMs = 100 }: { orderDelayMs?: number } = {}) {
  const base = logger.child({ layer: 'send' });

  return async function processOutbound(job: Job<OutboundJobData>, token?: string): Promise<OutboundResult> {
    const d = job.data;
    const { reply } = d;
    const attempt = job.attemptsMade + 1;
    const log = base.child({ appid: d.appid, openid: d.openid, stamp: d.stamp, dedupKey: d.inboundId, reqId: d.reqId, msgId: d.msgId, jobId: job.id, index: d.index, msgtype: reply.msgtype });

    if (d.index > 0) {
      const previous = await queue.getJobState(outboundJobId(d.inboundId, d.index - 1));
      if (PENDING.has(previous)) return postpone(job, token, orderDelayMs, log, 'order');
    }
    const typing = reply.msgtype === 'typing';
    let waitMs: number;
    // No quota record (never opened, or gone with Redis's data): sent anyway, WeChat's errcode
    // decides; the send's line says so.
    let quota: 'unknown' | undefined;
    try {
      const admitted = await admission.admit(d.appid, d.openid, job.id!, { count: !typing });
      waitMs = admitted.waitMs;
      quota = admitted.window === null ? 'unknown' : undefined;
    } catch (err) {
      log.warn({ attempt, outcome: 'refused', code: describeError(err, attempt).code, err: (err as Error).message }, 'reply refused: customer-service quota');
      return failJob(job, err);
    }
    if (waitMs > 0) return postpone(job, token, waitMs, log, 'rate');

    const started = performance.now();
    try {
      if (reply.msgtype === 'typing') await client.sendTyping(d.appid, d.openid, reply.command, { log });
      else await client.sendCustom(d.appid, { touser: d.openid, ...reply }, { log });
    } catch (err) {
      const info = describeError(err, attempt);
      const retry = willRetry(job, err);
      log[retry ? 'warn' : 'error'](
        { attempt, ms: round(performance.now() - started), errcode: info.errcode, errmsg: info.errmsg, code: info.code, outcome: retry ? 'retrying' : 'failed', quota },
        retry ? 'reply not sent: will retry' : 'reply not sent: failed',
      );
      return failJob(job, err);
    }
    const ms = round(performance.now() - started);
    log.info({ attempt, ms, errcode: 0, outcome: 'sent', sinceReceivedMs: Date.now() - d.receivedAt, quota }, 'reply sent');
    return { errcode: 0, ms };
  };
}
