// One outbound job = one call to the WeChat API with the shared access_token. Before the call:
// the replies of one message go out in order (reply n waits while reply n-1 is still pending),
// the user's reply quota is counted (refused at once, no API call, when used up or closed), and
// the appid's rate limit is honoured (the job waits as delayed, which is not an attempt); those
// two in one round trip (send-admission.ts).
// The client invalidates a stale token and retries once itself; what it throws is classified by
// its class (src/wechat-api/errcodes.ts) and failJob turns that into retry or failed, except a
// token that cannot be had at all (TokenUnavailableError): the job waits for it, no attempt spent,
// while the user's window lasts (token-wait.ts).
// A send WeChat accepted is marked at once and the mark is checked first, so a job run again
// after its worker was killed does not send twice (send-marker.ts). The mark's first state,
// "sending", goes out just before the request: a run that finds it met a send whose outcome is
// unknown (its worker died in flight) and holds it or sends again, as WXGATE_UNKNOWN_SEND says.
import { performance } from 'node:perf_hooks';
import type { Job, Queue } from 'bullmq';
import type { UnknownSendPolicy } from '../config.js';
import type { Logger } from '../logger.js';
import type { WeChatClient } from '../wechat-api/client.js';
import { TokenUnavailableError } from '../wechat-api/token-unavailable.js';
import { describeError, failJob, postponeJob, willRetry } from './job-failure.js';
import { SendOutcomeUnknownError } from './worker-errors.js';
import { outboundJobId, type OutboundJobData } from './outbound-job.js';
import type { SendAdmission } from './send-admission.js';
import type { SendMarker } from './send-marker.js';
import type { TokenWait } from './token-wait.js';

export type OutboundClient = Pick<WeChatClient, 'sendCustom' | 'sendTyping'>;

export interface OutboundDeps {
  client: OutboundClient;
  /** The user's reply quota and the appid's rate limit, in one call. */
  admission: SendAdmission;
  /** The account's outbound queue, to look up the previous reply's state. */
  queue: (appid: string) => Queue;
  /** Sends WeChat already accepted, by job id. */
  marker: SendMarker;
  /** How a send waits for an access_token that cannot be had. */
  tokenWait: TokenWait;
  logger: Logger;
}

export interface OutboundOptions {
  /** How long reply n waits while reply n-1 is still pending (at first; see orderDelay). */
  orderDelayMs?: number;
  /** A send waits for the token at most this long after the push, when the user's window is not known. */
  fallbackWindowMs?: number;
  /**
   * A run that finds an earlier run's send in flight (its worker died): `hold` fails the job into
   * the dead-letter list (no duplicate; `wxgate dlq retry` sends it), `resend` sends it again (no
   * reply missing if WeChat never got it; a duplicate if it did). WXGATE_UNKNOWN_SEND.
   */
  unknownSend?: UnknownSendPolicy;
}


export interface OutboundResult {
  errcode: 0;
  ms: number;
  /** Set when WeChat had already accepted this job's send (a run after a crash): not sent again. */
  alreadySentAt?: number;
  /** Set when an earlier run died with this send in flight and this run sent it again (WXGATE_UNKNOWN_SEND=resend). */
  resentAfterUnknown?: true;
}

const PENDING = new Set(['waiting', 'active', 'delayed', 'prioritized', 'waiting-children']);

function postpone(job: Job, token: string | undefined, ms: number, log: Logger, reason: 'order' | 'rate'): Promise<never> {
  log.debug({ reason, waitMs: ms }, reason === 'rate' ? 'send postponed: appid rate limit' : 'send postponed: previous reply still pending');
  return postponeJob(job, token, ms);
}

const round = (n: number) => Math.round(n * 10) / 10;

/** A promise's outcome as a value, so that it can wait beside others without rejecting them. */
const settle = <T>(p: Promise<T>): Promise<{ value: T } | { error: unknown }> => p.then((value) => ({ value }), (error: unknown) => ({ error }));

/**
 * Reply n behind a pending reply n-1: looks again after `base` ms, or after a tenth of the time it
 * has waited so far (at most 5 s), so that replies queued behind one that waits minutes for a
 * token do not poll Redis ten times a second all along.
 */
function orderDelay(base: number, queuedAt: number): number {
  return Math.round(Math.min(5000, Math.max(base, (Date.now() - queuedAt) / 10)));
}

export function createOutboundProcessor({ client, admission, queue, marker, tokenWait, logger }: OutboundDeps, { orderDelayMs = 100, fallbackWindowMs = 48 * 3600_000, unknownSend = 'hold' }: OutboundOptions = {}) {
  const base = logger.child({ layer: 'send' });

  return async function processOutbound(job: Job<OutboundJobData>, token?: string): Promise<OutboundResult> {
    const d = job.data;
    const { reply } = d;
    const attempt = job.attemptsMade + 1;
    const log = base.child({ appid: d.appid, openid: d.openid, stamp: d.stamp, dedupKey: d.inboundId, reqId: d.reqId, msgId: d.msgId, jobId: job.id, index: d.index, msgtype: reply.msgtype });

    const typing = reply.msgtype === 'typing';
    const admit = () => settle(admission.admit(d.appid, d.openid, job.id!, { count: !typing }));
    // The mark is read in the same turn as the first other look-up, so both leave in one write
    // (redis-write-batch.ts): reply n > 0 first checks the previous reply's state; reply 0 goes
    // straight to its admission (a run that then finds its mark has counted nothing twice: the
    // quota counts once per job id).
    const first = d.index === 0;
    const [state, previous, admittedEarly] = await Promise.all([
      marker.read(d.appid, job.id!),
      first ? undefined : queue(d.appid).getJobState(outboundJobId(d.inboundId, d.index - 1)),
      first ? admit() : undefined,
    ]);
    if (state !== null && 'sentAt' in state) {
      log.warn({ attempt, outcome: 'already_sent', sentAt: state.sentAt, errcode: 0 }, 'reply already accepted by WeChat before this run: not sent again');
      return { errcode: 0, ms: 0, alreadySentAt: state.sentAt };
    }
    const unknown = state !== null && 'sendingSince' in state;
    if (unknown && unknownSend === 'hold') {
      const err = new SendOutcomeUnknownError(state.sendingSince);
      // Cleared so that `wxgate dlq retry` sends it; the job fails whatever Redis says.
      await marker.clear(d.appid, job.id!, state.sendingSince).catch(() => undefined);
      log.error({ attempt, outcome: 'failed', code: err.code, sendingSince: state.sendingSince, policy: unknownSend }, 'reply outcome unknown: its worker died with the send in flight; not sent again (wxgate dlq retry sends it)');
      return failJob(job, err);
    }
    if (previous !== undefined && PENDING.has(previous)) return postpone(job, token, orderDelay(orderDelayMs, d.queuedAt), log, 'order');
    const admitted = admittedEarly ?? (await admit());
    if ('error' in admitted) {
      const err = admitted.error;
      log.warn({ attempt, outcome: 'refused', code: describeError(err, attempt).code, err: (err as Error).message }, 'reply refused: customer-service quota');
      return failJob(job, err);
    }
    const { waitMs, window } = admitted.value;
    // No quota record (never opened, or gone with Redis's data): sent anyway, WeChat's errcode
    // decides; the send's line says so. A wait for the token then lasts the longest window.
    const quota = window === null ? 'unknown' : undefined;
    const windowEnd = window?.expiresAt;
    if (waitMs > 0) return postpone(job, token, waitMs, log, 'rate');

    if (unknown) log.warn({ attempt, code: 'send_outcome_unknown', sendingSince: state.sendingSince, policy: unknownSend }, 'reply outcome unknown: its worker died with the send in flight; sending again (WXGATE_UNKNOWN_SEND=resend)');

    const started = performance.now();
    // Not awaited before the request: its write leaves first (the client looks up the token
    // before its own), so a kill cannot find the request gone and the mark not; waiting for
    // Redis's answer would open that window the other way, a reply held that never left.
    const since = Date.now();
    const pending = settle(marker.sending(d.appid, job.id!, since));
    const forget = async () => {
      await pending;
      await marker.clear(d.appid, job.id!, since).catch((err: Error) => log.warn({ attempt, err: err.message }, 'send marker not cleared: a run of this job after a crash would take the send as in flight'));
    };
    try {
      if (reply.msgtype === 'typing') await client.sendTyping(d.appid, d.openid, reply.command, { log });
      else await client.sendCustom(d.appid, { touser: d.openid, ...reply }, { log });
    } catch (err) {
      await forget();
      if (err instanceof TokenUnavailableError) return tokenWait.wait(job, token, err, { deadline: windowEnd ?? d.receivedAt + fallbackWindowMs, log });
      const info = describeError(err, attempt);
      const retry = willRetry(job, err);
      log[retry ? 'warn' : 'error'](
        { attempt, ms: round(performance.now() - started), errcode: info.errcode, errmsg: info.errmsg, code: info.code, outcome: retry ? 'retrying' : 'failed', quota },
        retry ? 'reply not sent: will retry' : 'reply not sent: failed',
      );
      return failJob(job, err);
    }
    const ms = round(performance.now() - started);
    await pending; // the "sending" write must not land after the mark
    // Before anything else can fail or the process die: from here on this job is sent.
    await marker.mark(d.appid, job.id!).catch((err: Error) => log.error({ attempt, err: err.message }, 'send marker not written: a run of this job after a crash would send again'));
    log.info({ attempt, ms, errcode: 0, outcome: 'sent', sinceReceivedMs: Date.now() - d.receivedAt, quota }, 'reply sent');
    return { errcode: 0, ms, ...(unknown && { resentAfterUnknown: true as const }) };
  };
}
