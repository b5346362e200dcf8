// Where each reply of a job in reply mode passive or auto goes (issue 17). The first reply that
// is not "typing…" is offered to the receiver holding the push (passive-hand-over.ts); what the
// receiver cannot take follows the account's mode:
//   auto     late, or not a type a passive reply carries, or a later reply: customer service, as today
//   passive  no customer-service API: a late first reply is dropped with one `reply_too_late` line
//            (held for WeChat's next delivery in retry mode); later replies, the rest of a long
//            text included (split at 2,048 bytes like customer-service text), are cut with a line
import { performance } from 'node:perf_hooks';
import type { Logger } from '../logger.js';
import type { PassiveHandOver } from '../queue/passive-hand-over.js';
import type { InboundJobData } from '../queue/jobs.js';
import { isPassiveReply } from '../wechat/passive-reply.js';
import { isTyping, type Reply } from './replies.js';

/** Epoch ms below the millisecond, comparable between processes of one machine (the hand-over's time). */
export const nowMs = () => performance.timeOrigin + performance.now();

/** What became of the first reply, for the worker's log line and metrics. */
export type PassiveFate = 'handed' | 'held' | 'late_custom' | 'late_dropped' | 'none';

export interface PassiveRoute {
  /** true: taken care of here; false: queue it for customer service as in mode custom. */
  route(reply: Reply): Promise<boolean>;
  /** The handler is done (or will not reply): a receiver still waiting answers `success` now. */
  finish(): Promise<void>;
  readonly fate: PassiveFate | undefined;
}

export function createPassiveRoute(
  { handOver, log }: { handOver: PassiveHandOver; log: Logger },
  { dedupKey, replyMode, passiveRetries = false }: Pick<InboundJobData, 'dedupKey' | 'replyMode' | 'passiveRetries'> & { replyMode: 'passive' | 'auto' },
): PassiveRoute {
  const retries = replyMode === 'passive' && passiveRetries;
  let fate: PassiveFate | undefined;
  let firstSettled = false;
  let cut = 0;

  async function first(reply: Reply): Promise<boolean> {
    firstSettled = true;
    if (!isPassiveReply(reply)) {
      await handOver.offer(dedupKey, { none: true, at: nowMs() }, { retries });
      fate = 'none';
      if (replyMode === 'auto') return false;
      log.warn({ code: 'passive_unsupported', msgType: reply.msgtype }, `a passive reply cannot carry ${reply.msgtype}: dropped`);
      return true;
    }
    const outcome = await handOver.offer(dedupKey, { reply, at: nowMs() }, { retries });
    if (outcome === 'handed' || outcome === 'held' || outcome === 'done') {
      fate = outcome === 'held' ? 'held' : 'handed';
      return true;
    }
    if (replyMode === 'auto') {
      fate = 'late_custom';
      log.info({ code: 'reply_too_late', replyMode, via: 'custom' }, 'first reply too late for the answer: sent through customer service');
      return false;
    }
    fate = 'late_dropped';
    log.warn({ code: 'reply_too_late', replyMode }, 'first reply too late for the answer: dropped (reply mode passive has no customer-service API)');
    return true;
  }

  return {
    get fate() {
      return fate;
    },
    async route(reply) {
      if (isTyping(reply)) return replyMode === 'passive'; // passive: no typing indicator without customer service
      if (!firstSettled) return first(reply);
      if (replyMode === 'auto') return false;
      cut += 1;
      log.warn({ code: 'passive_cut', msgType: reply.msgtype, cut }, 'a passive reply carries one message: the rest is cut');
      return true;
    },
    async finish() {
      if (firstSettled) return;
      firstSettled = true;
      fate = 'none';
      await handOver.offer(dedupKey, { none: true, at: nowMs() }, { retries });
    },
  };
}
