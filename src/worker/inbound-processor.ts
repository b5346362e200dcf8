// One inbound job = one acknowledged push: open the user's reply window, find the handler, run
// it under its time limit, queue its replies as outbound jobs. The `worker` log line carries the
// receive line's keys plus queue wait (now - receivedAt), handler time and the outcome.
import { performance } from 'node:perf_hooks';
import type { Job, Queue } from 'bullmq';
import type { Logger } from '../logger.js';
import { URL_VERIFICATION_JOB, type InboundJobData } from '../queue/jobs.js';
import { messageSummary, type WeChatMessage } from '../wechat/messages.js';
import { createHandlerContext } from './handler-context.js';
import { describeError, failJob, willRetry } from './job-failure.js';
import { outboundJobId, outboundJobOptions, type OutboundJobData, type OutboundJobOptionsConfig } from './outbound-job.js';
import type { ReplyQuota, WindowKind } from './quota.js';
import type { Router } from './router.js';
import { createHandlerSignal, type HandlerSignal } from './handler-signal.js';
import { HandlerTimeoutError } from './worker-errors.js';
import { PROBE_OPENID } from '../probe-openid.js';
import type { PassiveHandOver } from '../queue/passive-hand-over.js';
import { createPassiveRoute, type PassiveFate, type PassiveRoute } from './passive-route.js';

export interface InboundDeps {
  router: Router;
  quota: ReplyQuota;
  /** Where an account's replies go (its outbound queue). */
  outbound: (appid: string) => Queue;
  logger: Logger;
  /** Reply modes passive and auto: hands the first reply to the receiver that waits for it. */
  handOver?: PassiveHandOver;
}

export interface InboundOptions extends OutboundJobOptionsConfig {
  jobTimeoutMs: number;
}

export interface InboundResult {
  route: string | null;
  replies: number;
  /** Reply modes passive and auto: what became of the first reply. */
  passive?: PassiveFate;
}

// Interactions after which WeChat lets the account use the customer-service API.
// https://developers.weixin.qq.com/doc/offiaccount/Message_Management/Service_Center_messages.html
const WINDOW_EVENTS = new Set(['subscribe', 'SCAN', 'CLICK', 'scancode_push', 'scancode_waitmsg']);

export function interactionKind(m: WeChatMessage): WindowKind | undefined {
  if (m.MsgType !== 'event') return 'message';
  return typeof m.Event === 'string' && WINDOW_EVENTS.has(m.Event) ? 'event' : undefined;
}

const round = (n: number) => Math.round(n * 10) / 10;

/** Resolves with the handler's result, or rejects with HandlerTimeoutError once `ms` has passed. */
function withTimeLimit<T>(work: () => T | Promise<T>, ms: number, controller: Pick<HandlerSignal, 'abort'>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const err = new HandlerTimeoutError(ms);
      controller.abort(err);
      reject(err);
    }, ms);
  });
  const run = (async () => work())();
  run.catch(() => undefined); // after a timeout the handler's own end no longer matters
  return Promise.race([run, limit]).finally(() => clearTimeout(timer));
}

export function createInboundProcessor({ router, quota, outbound, logger, handOver }: InboundDeps, { jobTimeoutMs, ...outboundOptions }: InboundOptions) {
  return async function processInbound(job: Job<InboundJobData>, _token?: string, jobSignal?: AbortSignal): Promise<InboundResult> {
    // Holds a URL-verification GET's nonce (inbound-producer.ts): no message, nothing to handle.
    if (job.name === URL_VERIFICATION_JOB) return { route: null, replies: 0 };
    const startedAt = Date.now();
    const { appid, message, dedupKey, reqId, receivedAt } = job.data;
    const s = messageSummary(message);
    const attempt = job.attemptsMade + 1;
    const keys = { appid, openid: s.openid, stamp: s.stamp, dedupKey, reqId, msgId: s.msgId, msgType: s.msgType, event: s.event, eventKey: s.eventKey };
    const workerLog = logger.child({ layer: 'worker', ...keys });
    const waitMs = startedAt - receivedAt;
    const { replyMode } = job.data;
    const passive: PassiveRoute | undefined =
      replyMode && handOver ? createPassiveRoute({ handOver, log: workerLog }, { dedupKey, replyMode, passiveRetries: job.data.passiveRetries }) : undefined;
    const fate = () => (passive?.fate ? { passive: passive.fate } : {});

    if (s.openid === PROBE_OPENID) {
      await passive?.finish();
      workerLog.info({ attempt, waitMs, handlerMs: 0, ms: Date.now() - startedAt, outcome: 'probe', replies: 0 }, 'probe push: no handler runs');
      return { route: null, replies: 0, ...fate() };
    }
    const kind = interactionKind(message);
    // open() answers with the window as peek() would: one round trip instead of two.
    const opened = kind ? await quota.open(appid, s.openid, { kind, stampMs: s.stamp * 1000, origin: dedupKey }) : undefined;
    const route = router.route(appid, message);
    if (!route) {
      await passive?.finish();
      workerLog.info({ attempt, waitMs, handlerMs: 0, ms: Date.now() - startedAt, outcome: 'unhandled', replies: 0 }, 'no handler for this message');
      return { route: null, replies: 0, ...fate() };
    }

    const handlerSignal = createHandlerSignal(jobSignal);
    const running = createHandlerContext({
      appid,
      message,
      openid: s.openid,
      dedupKey,
      attempt,
      replyMode: replyMode ?? 'custom',
      signal: () => handlerSignal.signal,
      log: logger.child({ layer: 'handler', ...keys, route: route.name }),
      quotaWindow: opened !== undefined ? opened : await quota.peek(appid, s.openid),
      enqueue: async (reply, index) => {
        // Taken by the passive route (in the answer, held for a retry, or dropped in mode passive):
        // no customer-service send, so ctx.repliesLeft gives its slot back.
        if (passive && (await passive.route(reply))) return 'answer';
        const jobId = outboundJobId(dedupKey, index);
        const data: OutboundJobData = { appid, openid: s.openid, reply, inboundId: dedupKey, index, reqId, stamp: s.stamp, msgId: s.msgId, receivedAt, queuedAt: Date.now() };
        await outbound(data.appid).add(reply.msgtype, data, outboundJobOptions(jobId, reply, outboundOptions));
        return 'queued';
      },
    });

    const handlerStarted = performance.now();
    try {
      const returned = await withTimeLimit(() => route.run(message, running.ctx), jobTimeoutMs, handlerSignal);
      const replies = await running.finish(returned);
      await passive?.finish();
      workerLog.info({ attempt, waitMs, handlerMs: round(performance.now() - handlerStarted), ms: Date.now() - startedAt, route: route.name, outcome: 'handled', replies, ...fate() }, 'message handled');
      return { route: route.name, replies, ...fate() };
    } catch (err) {
      await running.close();
      const info = describeError(err, attempt);
      const retry = willRetry(job, err);
      if (!retry) await passive?.finish().catch(() => undefined);
      workerLog[retry ? 'warn' : 'error'](
        { attempt, waitMs, handlerMs: round(performance.now() - handlerStarted), ms: Date.now() - startedAt, route: route.name, outcome: retry ? 'retrying' : 'failed', code: info.code, err: info.message },
        retry ? 'handler failed: will retry' : 'handler failed: giving up',
      );
      return failJob(job, err);
    } finally {
      running.close().catch(() => undefined);
    }
  };
}
