// The failed sets of every queue, for `wxgate dlq`: what failed, why (code, WeChat's errcode and
// errmsg as recorded by failJob), and a way to run it again.
import { Queue, type Job } from 'bullmq';
import type { RedisConnection } from '../redis.js';
import { TEMPLATE_QUEUE } from '../campaigns/template-jobs.js';
import { INBOUND_QUEUE, OUTBOUND_QUEUE } from '../queue/jobs.js';
import type { JobError } from './outbound-job.js';
import { queueSpots, type AccountShards } from '../queue/account-queues.js';
import type { RedisKeys } from '../redis-keys.js';

export type QueueName = typeof INBOUND_QUEUE | typeof OUTBOUND_QUEUE | typeof TEMPLATE_QUEUE;
// Every queue wxgate runs: `wxgate dlq` and the dashboard (src/admin/dashboard.ts) both show these; a new queue goes here.
export const QUEUE_NAMES: readonly QueueName[] = [INBOUND_QUEUE, OUTBOUND_QUEUE, TEMPLATE_QUEUE];

export interface FailedJob {
  queue: QueueName;
  id: string;
  name: string;
  appid?: string;
  openid?: string;
  /** Epoch ms. */
  failedAt?: number;
  attempts: number;
  code?: string;
  errcode?: number;
  errmsg?: string;
  reason: string;
  data: unknown;
}

export interface Dlq {
  list(queue: QueueName, options?: { limit?: number }): Promise<FailedJob[]>;
  /** The job, if it is in this queue's failed set. */
  show(queue: QueueName, id: string): Promise<FailedJob | undefined>;
  /** Moves failed jobs back to waiting with a fresh attempt count; returns the ids moved. */
  retry(queue: QueueName, ids: readonly string[] | 'all'): Promise<string[]>;
  close(): Promise<void>;
}

function view(queue: QueueName, job: Job): FailedJob {
  const data = (job.data ?? {}) as { appid?: string; openid?: string; message?: { FromUserName?: string }; lastError?: JobError };
  const e = data.lastError;
  return {
    queue,
    id: job.id!,
    name: job.name,
    appid: data.appid,
    openid: data.openid ?? data.message?.FromUserName,
    failedAt: job.finishedOn,
    attempts: job.attemptsMade,
    code: e?.code,
    errcode: e?.errcode,
    errmsg: e?.errmsg,
    reason: job.failedReason,
    data: job.data,
  };
}

/** On Redis Cluster every account (and inbound shard) has its own queues: each name is the list of them. */
export function createDlq({ redis }: { redis: RedisConnection }, { keys, apps }: { keys: RedisKeys; apps: readonly AccountShards[] }): Dlq {
  const queues = new Map(QUEUE_NAMES.map((name) => [name, queueSpots(keys, apps, { sharded: name === INBOUND_QUEUE }).map((s) => new Queue(name, { connection: redis, prefix: s.prefix }))]));
  const q = (name: QueueName) => queues.get(name)!;
  const failedIn = async (name: QueueName, end: number) => (await Promise.all(q(name).map((queue) => queue.getFailed(0, end)))).flat().filter((j): j is Job => Boolean(j));
  const find = async (name: QueueName, id: string) => (await Promise.all(q(name).map((queue) => queue.getJob(id) as Promise<Job | undefined>))).find((j) => j !== undefined);
  const newestFirst = (a: Job, b: Job) => (b.finishedOn ?? 0) - (a.finishedOn ?? 0);

  return {
    async list(name, { limit = 50 } = {}) {
      const jobs = (await failedIn(name, Math.max(0, limit - 1))).sort(newestFirst).slice(0, limit);
      return jobs.map((j) => view(name, j));
    },
    async show(name, id) {
      const job = await find(name, id);
      if (!job || (await job.getState()) !== 'failed') return undefined;
      return view(name, job);
    },
    async retry(name, ids) {
      const jobs = ids === 'all' ? await failedIn(name, -1) : await Promise.all(ids.map((id) => find(name, id)));
      const moved: string[] = [];
      for (const job of jobs) {
        if (!job || (await job.getState()) !== 'failed') continue;
        await job.retry('failed', { resetAttemptsMade: true, resetAttemptsStarted: true });
        moved.push(job.id!);
      }
      return moved;
    },
    async close() {
      await Promise.all([...queues.values()].flat().map((queue) => queue.close().catch(() => undefined)));
    },
  };
}
