// Wires the two workers of one process: `inbound` runs the account's handlers, `outbound` sends
// their replies. Two queues so that a handler retried after an error or a crash never sends a
// reply twice: replies are jobs with derived ids, sent (and retried) on their own.
// BullMQ's stalled-job check hands a job whose worker died (kill -9) to another worker once its
// lock expires: within WXGATE_LOCK_DURATION_MS + WXGATE_STALLED_INTERVAL_MS (15 s by default;
// issue 14 saw 56–82 s with BullMQ's 30 s + 30 s). close() is graceful within the shutdown
// deadline: no new jobs start, running ones finish until the deadline's cut, then the workers
// are closed by force and what still runs is left to another worker the same way.
// A job whose worker dies more than maxStalledCount times (3 by default; BullMQ's 1 lost a push
// after two kill -9s in issue 14) is failed by BullMQ: it stays in the failed set for `wxgate dlq`,
// with an error line (code job_stalled_too_often) and a metric, like every job given up.
// https://docs.bullmq.io/guide/workers/stalled-jobs, https://docs.bullmq.io/guide/workers/graceful-shutdown
import { Queue, Worker, type Job } from 'bullmq';
import type { RedisConnection } from '../redis.js';
import type { Config, UnknownSendPolicy } from '../config.js';
import type { Logger } from '../logger.js';
import { createRedis } from '../redis.js';
import { keysOf } from '../redis-keys.js';
import { INBOUND_QUEUE, OUTBOUND_QUEUE, type InboundJobData } from '../queue/jobs.js';
import type { Handlers } from '../handlers/define-handlers.js';
import { createInboundProcessor, type InboundResult } from './inbound-processor.js';
import type { OutboundJobData } from './outbound-job.js';
import { createOutboundProcessor, type OutboundClient, type OutboundResult } from './outbound-processor.js';
import { createReplyQuota } from './quota.js';
import { batchWrites } from '../redis-write-batch.js';
import { keepFinished } from '../queue/keep-finished.js';
import { accountQueues, queueSpots, type AccountQueues } from '../queue/account-queues.js';
import { createSendAdmission } from './send-admission.js';
import { createSendMarker, type SendMarker } from './send-marker.js';
import { createTokenWait } from './token-wait.js';
import type { TokenAvailability } from '../wechat-api/token-availability.js';
import { deadlineIn, settledBy, type Deadline } from '../deadline.js';
import { isConnectionError } from '../redis-state-log.js';
import { createPassiveHandOver } from '../queue/passive-hand-over.js';
import { describeError } from './job-failure.js';
import { JobStalledTooOftenError } from './worker-errors.js';

/** BullMQ's failedReason for a job that stalled more than maxStalledCount times. */
export const STALLED_TOO_OFTEN_REASON = 'job stalled more than allowable limit';

export function isStalledTooOften(err: unknown): boolean {
  return err instanceof Error && err.message === STALLED_TOO_OFTEN_REASON;
}

export interface WorkersDeps {
  config: Config;
  logger: Logger;
  handlers: Handlers;
  client: OutboundClient;
  /** Counts the sends that wait for a token (default: not counted). */
  availability?: Pick<TokenAvailability, 'waited'>;
  /** Where sends WeChat accepted are marked (default: RedisConnection, under config.prefix). */
  marker?: SendMarker;
}

export interface WorkersOptions {
  /** Handlers run at once in this process (default config.worker.concurrency). */
  concurrency?: number;
  /** Sends in flight at once (default: the same). */
  outboundConcurrency?: number;
  /** How long a job's lock lasts without renewal: a killed worker's job is free again after it. */
  lockDuration?: number;
  /** How often this worker looks for stalled jobs (locks that expired). */
  stalledInterval?: number;
  /** Stalls a job may survive before it is failed (a job that kills its worker each time; default 3). */
  maxStalledCount?: number;
  /** First retry delay of a failed send, doubled each attempt. */
  outboundBackoffMs?: number;
  /** A send waiting for an access_token: first wait, doubled per wait up to the longest. */
  tokenWaitBaseMs?: number;
  tokenWaitMaxMs?: number;
  /** A reply whose earlier run died with its send in flight (default config.worker.unknownSend). */
  unknownSend?: UnknownSendPolicy;
  /** Run only some of the workers (default both). */
  queues?: readonly ('inbound' | 'outbound')[];
  /** Name recorded on jobs this process takes (default host-pid via BullMQ). */
  name?: string;
}

export interface Workers {
  start(): Promise<void>;
  /** Graceful until the deadline's cut (running jobs finish), then by force; done by `deadline.at`. */
  close(deadline?: Deadline): Promise<void>;
  /** The first inbound and outbound workers (the only ones on a single Redis). */
  readonly inbound?: Worker<InboundJobData, InboundResult>;
  readonly outbound?: Worker<OutboundJobData, OutboundResult>;
  /** One per account (and inbound shard) on Redis Cluster. */
  readonly inboundWorkers: readonly Worker<InboundJobData, InboundResult>[];
  readonly outboundWorkers: readonly Worker<OutboundJobData, OutboundResult>[];
  /** The first outbound queue; every account's in outboundQueues. */
  readonly outboundQueue: Queue<OutboundJobData>;
  readonly outboundQueues: AccountQueues<Queue<OutboundJobData>>;
  readonly redis: RedisConnection;
}

export function createWorkers(
  { config, logger, handlers, client, availability, marker: givenMarker }: WorkersDeps,
  {
    concurrency = config.worker.concurrency,
    outboundConcurrency = concurrency,
    lockDuration = config.worker.lockDurationMs,
    stalledInterval = config.worker.stalledIntervalMs,
    maxStalledCount = 3,
    outboundBackoffMs = 1000,
    unknownSend = config.worker.unknownSend,
    tokenWaitBaseMs = 1000,
    tokenWaitMaxMs = 60_000,
    queues = ['inbound', 'outbound'],
    name,
  }: WorkersOptions = {},
): Workers {
  const log = logger.child({ layer: 'worker' });
  const redis = batchWrites(createRedis(config, 'worker'));
  redis.on('error', (err) => log.debug({ err: err.message }, 'redis connection error'));
  const keys = keysOf(config);
  const quota = createReplyQuota({ redis }, { keys, ...config.quota });
  const admission = createSendAdmission({ redis }, { keys, ratePerSecond: config.worker.outboundRatePerSecond });
  const marker = givenMarker ?? createSendMarker({ redis }, { keys });
  const tokenWait = createTokenWait({ availability }, { baseMs: tokenWaitBaseMs, maxMs: tokenWaitMaxMs });
  const outboundQueues = accountQueues(keys, queueSpots(keys, config.apps), (prefix) => {
    const q = new Queue<OutboundJobData>(OUTBOUND_QUEUE, { connection: redis, prefix });
    q.on('error', (err) => (isConnectionError(err) ? log.debug({ err: err.message }, 'outbound queue connection error') : log.warn({ err: err.message }, 'outbound queue error')));
    return q;
  });
  const outboundOf = (appid: string) => outboundQueues.of(appid);
  const common = { connection: redis, autorun: false, lockDuration, stalledInterval, maxStalledCount, name, ...keepFinished() };

  // One worker per queue (BullMQ consumes one queue per worker): on Redis Cluster, every account's
  // queues and every inbound shard; the concurrency is each one's.
  const inboundProcessor = createInboundProcessor(
    { router: handlers.router, quota, outbound: outboundOf, logger, handOver: createPassiveHandOver({ redis }, { prefix: config.prefix }) },
    { jobTimeoutMs: config.worker.jobTimeoutMs, attempts: config.worker.attempts, backoffMs: outboundBackoffMs },
  );
  const inboundWorkers = queues.includes('inbound')
    ? queueSpots(keys, config.apps, { sharded: true }).map((s) => new Worker<InboundJobData, InboundResult>(INBOUND_QUEUE, inboundProcessor, { ...common, prefix: s.prefix, concurrency }))
    : [];
  const outboundProcessor = createOutboundProcessor({ client, admission, queue: outboundOf, marker, tokenWait, logger }, { fallbackWindowMs: config.quota.messageWindowS * 1000, unknownSend });
  const outboundWorkers = queues.includes('outbound')
    ? queueSpots(keys, config.apps).map((s) => new Worker<OutboundJobData, OutboundResult>(OUTBOUND_QUEUE, outboundProcessor, { ...common, prefix: s.prefix, concurrency: outboundConcurrency }))
    : [];
  const [inbound] = inboundWorkers;
  const [outbound] = outboundWorkers;
  const outboundQueue = outboundQueues.all()[0]!;
  const workers: Worker[] = [...inboundWorkers, ...outboundWorkers];
  for (const w of workers) {
    // Lost connections are told once per change of state (redis-state-log.ts), not per retry.
    w.on('error', (err) => (isConnectionError(err) ? log.debug({ queue: w.name, err: err.message }, 'worker connection error') : log.warn({ queue: w.name, err: err.message }, 'worker error')));
    // A job whose worker died is run again; the log says so, with the job's keys.
    w.on('stalled', (jobId) => log.warn({ queue: w.name, jobId, dedupKey: w.name === INBOUND_QUEUE ? jobId : undefined }, 'stalled job recovered: it will run again'));
    w.on('failed', (job, err) => {
      if (job && isStalledTooOften(err)) void recordStalledTooOften(w.name, job);
    });
  }

  /** The give-up is recorded on the job as failJob does, so `wxgate dlq` shows its code. */
  async function recordStalledTooOften(queue: string, job: Job): Promise<void> {
    const data = (job.data ?? {}) as { appid?: string; openid?: string; message?: { FromUserName?: string; MsgId?: string } };
    const error = new JobStalledTooOftenError(maxStalledCount);
    log.error(
      { code: error.code, queue, jobId: job.id, appid: data.appid, openid: data.openid ?? data.message?.FromUserName, dedupKey: queue === INBOUND_QUEUE ? job.id : undefined, maxStalledCount },
      'job failed: its worker died while running it more often than maxStalledCount allows; it is in the dead-letter list (wxgate dlq retry runs it again)',
    );
    await job.updateData({ ...job.data, lastError: describeError(error, job.attemptsMade) }).catch(() => undefined);
  }

  /**
   * pause() takes no new job and waits for the running ones (BullMQ's graceful close cannot be
   * forced once begun, so the wait is the pause and the close is always close(force)). Resolves
   * false when jobs were still running at the cut.
   */
  async function finish(w: Worker, { cutAt, at }: Deadline): Promise<boolean> {
    const finished = await settledBy(w.pause(), cutAt);
    await settledBy(w.close(true), at);
    return finished;
  }

  let started = false;
  return {
    inbound,
    outbound,
    inboundWorkers,
    outboundWorkers,
    outboundQueue,
    outboundQueues,
    redis,
    async start() {
      if (started) return;
      started = true;
      for (const w of workers) {
        w.run().catch((err: Error) => log.error({ queue: w.name, err: err.message }, 'worker stopped on an error'));
      }
      await Promise.all(workers.map((w) => w.waitUntilReady()));
      log.info({ queues: [...new Set(workers.map((w) => w.name))], ...(keys.layout === 'account' && { queueCount: workers.length }), concurrency, outboundConcurrency, lockDuration, stalledInterval }, 'workers running');
    },
    async close(deadline = deadlineIn(10_000)) {
      // Handlers first: the replies they queue while finishing can still be sent by `outbound`.
      const left = new Set<string>();
      for (const group of [inboundWorkers, outboundWorkers] as Worker[][]) {
        const finished = await Promise.all(group.map((w) => finish(w, deadline)));
        group.forEach((w, i) => finished[i] || left.add(w.name));
      }
      await settledBy(outboundQueues.close(), deadline.at);
      redis.disconnect();
      if (left.size > 0) log.warn({ queues: [...left], redis: redis.status }, 'workers not finished at the shutdown deadline (jobs still running, or Redis away): their jobs go to another worker once their locks expire');
      log.info({ queues: [...new Set(workers.map((w) => w.name))] }, 'workers closed');
    },
  };
}
