// A reply that WeChat accepted must not go out again when its job runs a second time. BullMQ
// records a job's completion only after the processor returns; a worker killed in between
// (kill -9, OOM, a lost host) leaves the job active, its lock expires, and another worker runs it
// again: a duplicate reply (issue 14: one in each of two runs of kill -9 ×5 under load). So the
// outbound processor writes a marker the moment WeChat answers errcode 0 and checks it before any
// send. What remains is the instant between WeChat's answer and the marker's write.
//
// keys.sent(appid, <outbound job id>) = epoch ms of WeChat's answer. It lives longer than any run of
// the job can come: a completed reply job is kept a day, but its handler can run again for as
// long as the inbound job is kept failed (a week, `wxgate dlq retry`), and would queue the same
// job id again once the completed one is gone; so a week and an hour. Named by redis-keys.ts
// beside the account's queues.
import type { RedisConnection } from '../redis.js';
import type { RedisKeys } from '../redis-keys.js';
import { KEEP_COMPLETED_S, KEEP_FAILED_S } from '../queue/keep-finished.js';

export const SEND_MARKER_TTL_MS = (Math.max(KEEP_COMPLETED_S, KEEP_FAILED_S) + 3600) * 1000;

export interface SendMarker {
  /** When WeChat accepted this job's send (epoch ms), or null if it has not. */
  sentAt(appid: string, jobId: string): Promise<number | null>;
  /** Records that WeChat accepted this job's send. */
  mark(appid: string, jobId: string, at?: number): Promise<void>;
}

export function createSendMarker({ redis }: { redis: RedisConnection }, { keys, ttlMs = SEND_MARKER_TTL_MS }: { keys: RedisKeys; ttlMs?: number }): SendMarker {
  return {
    async sentAt(appid, jobId) {
      const v = await redis.get(keys.sent(appid, jobId));
      return v === null ? null : Number(v);
    },
    async mark(appid, jobId, at = Date.now()) {
      await redis.set(keys.sent(appid, jobId), String(at), 'PX', ttlMs);
    },
  };
}
