// A reply that WeChat accepted must not go out again when its job runs a second time. BullMQ
// records a job's completion only after the processor returns; a worker killed in between
// (kill -9, OOM, a lost host) leaves the job active, its lock expires, and another worker runs it
// again: a duplicate reply (issue 14: one in each of two runs of kill -9 ×5 under load). So the
// outbound processor writes a marker the moment WeChat answers errcode 0 and checks it before any
// send.
//
// That left the send in flight: from the request leaving until the marker's write, WeChat's round
// trip included, a kill made the next run send again (the fault suite: 0–2 duplicates per run of
// kill -9 ×5). So the marker has a second state, written as the request leaves: "sending since".
// A run that finds it knows that an earlier run died with the send's outcome unknown, and the
// outbound processor decides what to do with it (WXGATE_UNKNOWN_SEND, outbound-processor.ts).
// A send that failed with an answer (an errcode, an HTTP status, a network error) clears it.
//
// keys.sent(appid, <outbound job id>) = "<epoch ms>" once WeChat accepted the send, or
// "sending:<epoch ms>" while it is in flight. It lives longer than any run of the job can come: a
// completed reply job is kept a day, but its handler can run again for as long as the inbound
// job is kept failed (a week, `wxgate dlq retry`), and would queue the same job id again once the
// completed one is gone; so a week and an hour. Named by redis-keys.ts beside the account's queues.
import type { RedisConnection } from '../redis.js';
import type { RedisKeys } from '../redis-keys.js';
import { KEEP_COMPLETED_S, KEEP_FAILED_S } from '../queue/keep-finished.js';

export const SEND_MARKER_TTL_MS = (Math.max(KEEP_COMPLETED_S, KEEP_FAILED_S) + 3600) * 1000;

const SENDING = 'sending:';

/** What the marker says of a job's send: accepted by WeChat, in flight in some run (maybe a dead one), or neither. */
export type SendState = { sentAt: number } | { sendingSince: number } | null;

export interface SendMarker {
  read(appid: string, jobId: string): Promise<SendState>;
  /** The request is about to leave: written before it, so that a run after a crash knows. */
  sending(appid: string, jobId: string, since: number): Promise<void>;
  /** The send failed with an answer (or never left): forgets "sending since", if it is still this run's. */
  clear(appid: string, jobId: string, since: number): Promise<void>;
  /** Records that WeChat accepted this job's send. */
  mark(appid: string, jobId: string, at?: number): Promise<void>;
}

// Only the "sending" value this run wrote: never a sent marker, nor another run's.
const CLEAR = "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0";

export function parseSendState(v: string | null): SendState {
  if (v === null) return null;
  return v.startsWith(SENDING) ? { sendingSince: Number(v.slice(SENDING.length)) } : { sentAt: Number(v) };
}

export function createSendMarker({ redis }: { redis: RedisConnection }, { keys, ttlMs = SEND_MARKER_TTL_MS }: { keys: RedisKeys; ttlMs?: number }): SendMarker {
  return {
    async read(appid, jobId) {
      return parseSendState(await redis.get(keys.sent(appid, jobId)));
    },
    async sending(appid, jobId, since) {
      await redis.set(keys.sent(appid, jobId), `${SENDING}${since}`, 'PX', ttlMs);
    },
    async clear(appid, jobId, since) {
      await redis.eval(CLEAR, 1, keys.sent(appid, jobId), `${SENDING}${since}`);
    },
    async mark(appid, jobId, at = Date.now()) {
      await redis.set(keys.sent(appid, jobId), String(at), 'PX', ttlMs);
    },
  };
}
