// The worker side of the message centre, started by the worker runtime when
// WXGATE_DATABASE_URL is set: the migrations, the `template` queue's worker (its own
// concurrency, WXGATE_TEMPLATE_CONCURRENCY), the record writer and the delivery-report recorder
// the inbound worker uses for TEMPLATESENDJOBFINISH. close() stops taking jobs, lets running
// sends finish, writes their records, then ends the pool.
import { Worker } from 'bullmq';
import type { Config } from '../config.js';
import { deadlineIn, settledBy, type Deadline } from '../deadline.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import { createRedis } from '../redis.js';
import { keysOf } from '../redis-keys.js';
import { keepFinished } from '../queue/keep-finished.js';
import type { WeChatClient } from '../wechat-api/client.js';
import type { TokenAvailability } from '../wechat-api/token-availability.js';
import { createTokenWait } from '../worker/token-wait.js';
import type { WeChatMessage } from '../wechat/messages.js';
import { createCampaignMeta } from './campaign-meta.js';
import { createDatabase, type Database } from './database.js';
import { createReportRecorder } from './delivery-reports.js';
import { migrateUntilDone } from './migrate.js';
import type { Clock } from './quota-day.js';
import { createQuotaPause } from './quota-pause.js';
import { createRecordWriter, type RecordWriter, type RecordWriterOptions } from './record-writer.js';
import { createRecords } from './records.js';
import { queueSpots } from '../queue/account-queues.js';
import { createTemplateAdmission } from './template-admission.js';
import { TEMPLATE_QUEUE, type TemplateJobData } from './template-jobs.js';
import type { TemplateDecision } from './template-outcome.js';
import { createTemplateProcessor, type TemplateProcessorOptions, type TemplateResult } from './template-processor.js';

export interface TemplateRuntimeOptions extends TemplateProcessorOptions {
  clock?: Clock;
  concurrency?: number;
  lockDuration?: number;
  stalledInterval?: number;
  writer?: RecordWriterOptions;
  name?: string;
}

export interface TemplateRuntime {
  /** One per account on Redis Cluster (each account's template queue is its own); one otherwise. */
  readonly workers: readonly Worker<TemplateJobData, TemplateResult>[];
  readonly db: Database;
  readonly writer: RecordWriter;
  recordReport(appid: string, message: WeChatMessage): Promise<void>;
  attachMetrics(metrics: Metrics): void;
  /** Applies the migrations (retrying while PostgreSQL is away), then takes jobs. */
  start(): Promise<void>;
  /** Running sends finish until the deadline's cut; their records are written; then the pool ends. */
  close(deadline?: Deadline): Promise<void>;
}

export function createTemplateRuntime(
  { config, logger, client, availability, metrics: given }: { config: Config; logger: Logger; client: Pick<WeChatClient, 'call'>; availability?: Pick<TokenAvailability, 'waited'>; metrics?: Metrics },
  {
    clock,
    concurrency = config.campaigns.concurrency,
    lockDuration = config.worker.lockDurationMs,
    stalledInterval = config.worker.stalledIntervalMs,
    writer: writerOptions,
    name,
    tokenWaitMs = 1000,
    tokenWaitMaxMs = 60_000,
    ...processorOptions
  }: TemplateRuntimeOptions = {},
): TemplateRuntime {
  const { databaseUrl, databaseSchema, ratePerSecond } = config.campaigns;
  if (!databaseUrl) throw new Error('createTemplateRuntime needs WXGATE_DATABASE_URL');
  const log = logger.child({ layer: 'worker' });
  const redis = createRedis(config, 'worker');
  const keys = keysOf(config);
  redis.on('error', (err) => log.debug({ err: err.message }, 'redis connection error'));
  const db = createDatabase({ logger }, { url: databaseUrl, schema: databaseSchema, max: 4 });
  const records = createRecords({ db });
  const writer = createRecordWriter({ db, logger }, writerOptions);
  let metrics: Metrics | undefined = given;
  const quotaPause = createQuotaPause(
    {
      redis,
      logger,
      hooks: {
        async onPause(appid, until) {
          metrics?.templateQuotaPaused.set({ appid }, 1);
          await records.markQuotaPause(appid, new Date(until));
        },
        async onResume(appid) {
          metrics?.templateQuotaPaused.set({ appid }, 0);
          await records.markQuotaPause(appid, null);
        },
      },
    },
    { keys, clock },
  );
  const onDecision = (appid: string, d: TemplateDecision) => {
    const errcode = d.action === 'sent' ? '0' : 'errcode' in d && d.errcode !== undefined ? String(d.errcode) : 'none';
    metrics?.templateSends.inc({ appid, errcode, outcome: d.action });
  };
  const processor = createTemplateProcessor(
    {
      client,
      admission: createTemplateAdmission({ redis }, { keys, ratePerSecond }),
      meta: createCampaignMeta({ redis }, { keys }),
      writer,
      quotaPause,
      // The customer-service sends' wait (src/worker/token-wait.ts): no attempt spent, backoff per job.
      tokenWait: createTokenWait({ availability }, { baseMs: tokenWaitMs, maxMs: tokenWaitMaxMs }),
      logger,
      onDecision,
    },
    processorOptions,
  );
  // Finished jobs are kept an hour: long enough that a campaign resubmitted while it runs finds
  // its ids taken; the records, not Redis, are what is kept for months.
  const workers = queueSpots(keys, config.apps).map((spot) => {
    const worker = new Worker<TemplateJobData, TemplateResult>(TEMPLATE_QUEUE, processor, {
      connection: redis,
      prefix: spot.prefix,
      autorun: false,
      concurrency,
      lockDuration,
      stalledInterval,
      maxStalledCount: 2,
      name,
      ...keepFinished({ keepCompletedS: 3600 }),
    });
    worker.on('error', (err) => log.warn({ queue: TEMPLATE_QUEUE, err: err.message }, 'worker error'));
    worker.on('stalled', (jobId) => log.warn({ queue: TEMPLATE_QUEUE, jobId, dedupKey: jobId }, 'stalled template job recovered: it will run again (client_msg_id keeps WeChat from sending twice)'));
    return worker;
  });
  const recordReport = createReportRecorder({ writer, logger });
  let started = false;

  return {
    workers,
    db,
    writer,
    recordReport,
    attachMetrics(m) {
      metrics = m;
    },
    async start() {
      if (started) return;
      started = true;
      await migrateUntilDone({ db, logger }, { schema: databaseSchema });
      for (const worker of workers) worker.run().catch((err: Error) => log.error({ queue: TEMPLATE_QUEUE, err: err.message }, 'worker stopped on an error'));
      await Promise.all(workers.map((w) => w.waitUntilReady()));
      log.info({ queue: TEMPLATE_QUEUE, concurrency, ratePerSecond: ratePerSecond ?? 'unlimited' }, 'template worker running');
    },
    async close(deadline = deadlineIn(10_000)) {
      // As the other workers close (create-workers.ts): running sends finish until the cut, then
      // the rest go to another worker once their locks expire (client_msg_id covers a call made).
      const paused = await Promise.all(workers.map((w) => settledBy(w.pause(), deadline.cutAt)));
      if (paused.includes(false)) log.warn({ queue: TEMPLATE_QUEUE }, 'template sends not finished at the shutdown deadline: they go to another worker once their locks expire');
      await Promise.all(workers.map((w) => settledBy(w.close(true), deadline.at)));
      quotaPause.close();
      await settledBy(writer.close(), deadline.at);
      await settledBy(db.end(), deadline.at);
      redis.disconnect();
    },
  };
}
