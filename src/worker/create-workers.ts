// Wires the two workers of one process: `inbound` runs the account's handlers, `outbound` sends
// their replies. Two queues so that a handler retried after an error or a crash never sends a
// reply twice: replies are jobs with derived ids, sent (and retried) on their own.
// BullMQ's stalled-job check hands a job whose worker died (kill -9) to another worker once its
// lock expires: within WXGATE_LOCK_DURATION_MS + WXGATE_STALLED_INTERVAL_MS (15 s by default;
// issue 14 saw 56–82 s with BullMQ's 30 s + 30 s). close() is graceful within the shutdown
// deadline: no new jobs start, running ones finish until the deadline's cut, then the workers
// are closed by force and what still runs is left to another worker the same way.
// https://docs.bullmq.io/guide/workers/stalled-jobs, https://docs.bullmq.io/guide/workers/graceful-shutdown
import { Queue, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Config } from '../config.js';
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
import { createSendAdmission } from './send-admission.js';
import { createSendMarker, type SendMarker } from './send-marker.js';
import { createTokenWait } from './token-wait.js';
import type { TokenAvailability } from '../wechat-api/token-availability.js';
import { deadlineIn, settledBy, type Deadline } from '../deadline.js';
import { isConnectionError } from '../redis-state-log.js';

export interface WorkersDeps {
  config: Config;
  logger: Logger;
  handlers: Handlers;
  client: OutboundClient;
  /** Counts the sends that wait for a token (default: not counted). */
  availability?: Pick<TokenAvailability, 'waited'>;
  /** Where sends WeChat accepted are marked (default: Redis, under config.prefix). */
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
  /** Stalls a job may survive before it is failed (a job that kills its worker each time). */
  maxStalledCount?: number;
  /** First retry delay of a failed send, doubled each attempt. */
  outboundBackoffMs?: number;
  /** A send waiting for an access_token: first wait, doubled per wait up to the longest. */
  tokenWaitBaseMs?: number;
  tokenWaitMaxMs?: number;
  /** Run only some of the workers (default both). */
  queues?: readonly ('inbound' | 'outbound')[];
  /** Name recorded on jobs this process takes (default host-pid via BullMQ). */
  name?: string;
}

export interface Workers {
  start(): Promise<void>;
  /** Graceful until the deadline's cut (running jobs finish), then by force; done by `deadline.at`. */
  close(deadline?: Deadline): Promise<void>;
  readonly inbound?: Worker<InboundJobData, InboundResult>;
  readonly outbound?: Worker<OutboundJobData, OutboundResult>;
  readonly outboundQueue: Queue<OutboundJobData>;
  readonly redis: Redis;
}

export function createWorkers(
  { config, logger, handlers, client, availability, marker: givenMarker }: WorkersDeps,
  {
    concurrency = config.worker.concurrency,
    outboundConcurrency = concurrency,
    lockDuration = config.worker.lockDurationMs,
    stalledInterval = config.worker.stalledIntervalMs,
    maxStalledCount = 1,
    outboundBackoffMs = 1000,
    tokenWaitBaseMs = 1000,
    tokenWaitMaxMs = 60_000,
    queues = ['inbound', 'outbound'],
    name,
  }: WorkersOptions = {},
): Workers {
  const log = logger.child({ layer: 'worker' });
  const redis = batchWrites(createRedis(config.redisUrl, 'worker'));
  redis.on('error', (err) => log.debug({ err: err.message }, 'redis connection error'));
  const prefix = config.prefix;
  const keys = keysOf(config);
  const quota = createReplyQuota({ redis }, { keys, ...config.quota });
  const admission = createSendAdmission({ redis }, { keys, ratePerSecond: config.worker.outboundRatePerSecond });
  const marker = givenMarker ?? createSendMarker({ redis }, { keys });
  const tokenWait = createTokenWait({ availability }, { baseMs: tokenWaitBaseMs, maxMs: tokenWaitMaxMs });
  const outboundQueue = new Queue<OutboundJobData>(OUTBOUND_QUEUE, { connection: redis, prefix });
  outboundQueue.on('error', (err) => (isConnectionError(err) ? log.debug({ err: err.message }, 'outbound queue connection error') : log.warn({ err: err.message }, 'outbound queue error')));
  const common = { connection: redis, prefix, autorun: false, lockDuration, stalledInterval, maxStalledCount, name, ...keepFinished() };

  const inbound = queues.includes('inbound')
    ? new Worker<InboundJobData, InboundResult>(
        INBOUND_QUEUE,
        createInboundProcessor(
          { router: handlers.router, quota, outbound: outboundQueue, logger },
          { jobTimeoutMs: config.worker.jobTimeoutMs, attempts: config.worker.attempts, backoffMs: outboundBackoffMs },
        ),
        { ...common, concurrency },
      )
    : undefined;
  const outbound = queues.includes('outbound')
    ? new Worker<OutboundJobData, OutboundResult>(
        OUTBOUND_QUEUE,
        createOutboundProcessor({ client, admission, queue: outboundQueue, marker, tokenWait, logger }, { fallbackWindowMs: config.quota.messageWindowS * 1000 }),
        { ...common, concurrency: outboundConcurrency },
      )
    : undefined;
  const workers = [inbound, outbound].filter((w): w is NonNullable<typeof w> => w !== undefined);
  for (const w of workers) {
    // Lost connections are told once per change of state (redis-state-log.ts), not per retry.
    w.on('error', (err) => (isConnectionError(err) ? log.debug({ queue: w.name, err: err.message }, 'worker connection error') : log.warn({ queue: w.name, err: err.message }, 'worker error')));
    // A job whose worker died is run again; the log says so, with the job's keys.
    w.on('stalled', (jobId) => log.warn({ queue: w.name, jobId, dedupKey: w.name === INBOUND_QUEUE ? jobId : undefined }, 'stalled job recovered: it will run again'));
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
    outboundQueue,
    redis,
    async start() {
      if (started) return;
      started = true;
      for (const w of workers) {
        w.run().catch((err: Error) => log.error({ queue: w.name, err: err.message }, 'worker stopped on an error'));
      }
      await Promise.all(workers.map((w) => w.waitUntilReady()));
      log.info({ queues: workers.map((w) => w.name), concurrency, outboundConcurrency, lockDuration, stalledInterval }, 'workers running');
    },
    async close(deadline = deadlineIn(10_000)) {
      // Handlers first: the replies they queue while finishing can still be sent by `outbound`.
      const left: string[] = [];
      for (const w of workers) if (!(await finish(w, deadline))) left.push(w.name);
      await settledBy(outboundQueue.close(), deadline.at);
      redis.disconnect();
      if (left.length > 0) log.warn({ queues: left, redis: redis.status }, 'workers not finished at the shutdown deadline (jobs still running, or Redis away): their jobs go to another worker once their locks expire');
      log.info({ queues: workers.map((w) => w.name) }, 'workers closed');
    },
  };
}
