// The failed sets of every queue, for `wxgate dlq`: what failed, why (code, WeChat's errcode and
// errmsg as recorded by failJob), and a way to run it again.
import { Queue, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { TEMPLATE_QUEUE } from '../campaigns/template-jobs.js';
import { INBOUND_QUEUE, OUTBOUND_QUEUE } from '../queue/jobs.js';
import type { JobError } from './outbound-job.js';

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

export function createDlq({ redis }: { redis: Redis }, { prefix }: { prefix: string }): Dlq {
  const queues = new Map(QUEUE_NAMES.map((name) => [name, new Queue(name, { connection: redis, prefix })]));
  const q = (name: QueueName) => queues.get(name)!;

  return {
    async list(name, { limit = 50 } = {}) {
      const jobs = await q(name).getFailed(0, Math.max(0, limit - 1));
      return jobs.filter((j): j is Job => Boolean(j)).map((j) => view(name, j as Job));
    },
    async show(name, id) {
      const job = (await q(name).getJob(id)) as Job | undefined;
      if (!job || (await job.getState()) !== 'failed') return undefined;
      return view(name, job);
    },
    async retry(name, ids) {
      const jobs = ids === 'all' ? ((await q(name).getFailed(0, -1)) as Job[]) : ((await Promise.all(ids.map((id) => q(name).getJob(id)))) as (Job | undefined)[]);
      const moved: string[] = [];
      for (const job of jobs) {
        if (!job || (await job.getState()) !== 'failed') continue;
        await job.retry('failed', { resetAttemptsMade: true, resetAttemptsStarted: true });
        moved.push(job.id!);
      }
      return moved;
    },
    async close() {
      await Promise.all([...queues.values()].map((queue) => queue.close().catch(() => undefined)));
    },
  };
}
