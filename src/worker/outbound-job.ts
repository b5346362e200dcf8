// The outbound queue's jobs: one reply to one user, with the keys of the message it answers so
// that its `send` log line joins that message's other lines.
import type { JobsOptions } from 'bullmq';
import type { Reply } from './replies.js';

export interface JobError {
  readonly code: string;
  readonly message: string;
  /** WeChat's answer, when the failure is one. */
  readonly errcode?: number;
  readonly errmsg?: string;
  readonly retryable: boolean;
  readonly attempt: number;
  /** Epoch ms. */
  readonly at: number;
}

export interface OutboundJobData {
  readonly appid: string;
  readonly openid: string;
  readonly reply: Reply;
  /** The inbound job (its dedup key) this reply answers, and the reply's place among its replies. */
  readonly inboundId: string;
  readonly index: number;
  readonly reqId: string;
  readonly stamp: number;
  readonly msgId?: string;
  /** When the receiver got the push and when the handler queued this reply, epoch ms. */
  readonly receivedAt: number;
  readonly queuedAt: number;
  /** The last failure, kept for `wxgate dlq`. */
  readonly lastError?: JobError;
}

/** Derived, not random: a handler run again re-queues the same ids, which BullMQ ignores. */
export function outboundJobId(inboundId: string, index: number): string {
  return `${inboundId}_r${index}`;
}

export interface OutboundJobOptionsConfig {
  attempts: number;
  backoffMs: number;
}

export function outboundJobOptions(jobId: string, reply: Reply, { attempts, backoffMs }: OutboundJobOptionsConfig): JobsOptions {
  return {
    jobId,
    // "typing…" shown late is worse than not at all: one try.
    attempts: reply.msgtype === 'typing' ? 1 : attempts,
    backoff: { type: 'exponential', delay: backoffMs },
  };
}
