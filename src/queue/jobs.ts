// Queue names and job shapes shared by the receiver, the spool and the workers.
import type { ReplyMode } from '../config.js';
import type { WeChatMessage } from '../wechat/messages.js';
import type { ReplayGuard } from './inbound-job-options.js';

export const INBOUND_QUEUE = 'inbound';
/**
 * The inbound job a URL-verification GET leaves on an account that accepts plaintext: it holds
 * the GET's (timestamp, nonce) as the replay guard's deduplication id, so that the signed URL
 * cannot carry a POST. Workers complete it without running a handler.
 */
export const URL_VERIFICATION_JOB = 'url_verification';
export const OUTBOUND_QUEUE = 'outbound';

/** What the receiver stores for every acknowledged push. */
export interface InboundJobData {
  readonly appid: string;
  readonly message: WeChatMessage;
  readonly dedupKey: string;
  /** When the receiver got the push, epoch ms (the worker logs queue wait from it). */
  readonly receivedAt: number;
  readonly reqId: string;
  /**
   * passive or auto: the receiver waits for the first reply (passive-slot.ts). Absent: custom.
   * A spooled push keeps it: it was answered `success` at once, so its first reply is late.
   */
  readonly replyMode?: Exclude<ReplyMode, 'custom'>;
  /** Reply mode passive with WXGATE_PASSIVE_USE_RETRIES: a late first reply is held for WeChat's next delivery. */
  readonly passiveRetries?: boolean;
}

/** One line of the local spool: everything needed to add the job later, unchanged. */
export interface SpooledJob {
  readonly queue: typeof INBOUND_QUEUE;
  readonly jobId: string;
  readonly data: InboundJobData;
  /** The replay guard (plain and compat accounts), applied when the line is drained. */
  readonly guard?: ReplayGuard;
}
