// What a handler gets besides the message: who it is about, a logger bound to this message, the
// abort signal of its time limit, how many replies it has left, and ctx.reply / ctx.typing.
// A reply is queued (an outbound job) the moment ctx.reply is called, so "typing…" or a first
// answer reaches the user while a slow handler is still working. Each reply's job id is the
// inbound job id + its index, so a handler run again after a crash or an error re-queues
// nothing that is already queued.
import type { ReplyMode } from '../config.js';
import type { Logger } from '../logger.js';
import type { WeChatMessage } from '../wechat/messages.js';
import type { QuotaWindow } from './quota-window.js';
import { normalizeReplies, reply as build, isTyping, type MaybeReply, type Reply } from './replies.js';

export interface HandlerContext<M = WeChatMessage> {
  readonly appid: string;
  readonly openid: string;
  readonly message: M;
  /** Lines with layer 'handler' and the message's keys (appid, openid, stamp, dedupKey, reqId). */
  readonly log: Logger;
  /** Aborted when the handler's time limit (config.worker.jobTimeoutMs) passes or the worker gives the job up. */
  readonly signal: AbortSignal;
  /** 1 on the first run, 2 on the first retry, … */
  readonly attempt: number;
  /**
   * How the first reply travels (the account's WECHAT_REPLY_MODE / replyMode): `custom` through
   * customer service; `passive` in the answer to the push, if ready within WXGATE_PASSIVE_WAIT_MS
   * (one reply only, no "typing…"); `auto` in the answer when in time, else and the rest through
   * customer service. docs/passive-replies.md
   */
  readonly replyMode: ReplyMode;
  readonly dedupKey: string;
  /**
   * Replies the user can still receive in the window their last interaction opened (WeChat: 5 in
   * 48 h after a message, 3 in 1 min after a click, follow or scan), minus what this run has queued.
   * A reply that went in the answer to the push (reply modes passive and auto) costs no
   * customer-service quota and is given back once its ctx.reply has resolved; until then it counts.
   * An estimate taken when the handler started; the send itself is what is counted.
   */
  readonly repliesLeft: number;
  readonly quotaWindow: QuotaWindow | null;
  /** Queues replies now (strings are text; long text is split). Resolves once they are in Redis. */
  reply(...replies: (MaybeReply | readonly MaybeReply[])[]): Promise<void>;
  /** Shows "typing…" to the user (WeChat keeps it up to 15 s, or until the next reply). */
  typing(): Promise<void>;
}

export interface ContextSetup<M> {
  appid: string;
  message: M;
  openid: string;
  dedupKey: string;
  attempt: number;
  /** Default custom. */
  replyMode?: ReplyMode;
  log: Logger;
  /** A signal, or how to make it when the handler first reads ctx.signal. */
  signal: AbortSignal | (() => AbortSignal);
  quotaWindow: QuotaWindow | null;
  /**
   * Queues one reply with this index (idempotent per index). Resolves 'answer' when the reply did
   * not become a customer-service send (it went in the answer to the push, or reply mode passive
   * dropped it): it spends none of the user's quota (issue 17).
   */
  enqueue(reply: Reply, index: number): Promise<EnqueueOutcome>;
}

/** 'queued': an outbound job (customer service, counted against the quota); 'answer': not sent through customer service. */
export type EnqueueOutcome = 'queued' | 'answer' | void;

export interface RunningContext<M> {
  readonly ctx: HandlerContext<M>;
  /** Queues what the handler returned after what it passed to ctx.reply; resolves when all are queued. */
  finish(returned: unknown): Promise<number>;
  /** No more replies (a handler still running after its time limit cannot send); waits for queued ones to settle. */
  close(): Promise<void>;
}

export function createHandlerContext<M>({ appid, message, openid, dedupKey, attempt, replyMode = 'custom', log, signal, quotaWindow, enqueue }: ContextSetup<M>): RunningContext<M> {
  let index = 0;
  let counted = 0;
  let closed = false;
  // Adds run one after another: reply n is in Redis before reply n+1, which is what the outbound
  // side relies on to keep them in order. After a failed add the later ones are not attempted
  // (the handler fails and its retry queues them again, under the same ids).
  let tail: Promise<void> = Promise.resolve();
  const pending: Promise<void>[] = [];

  function queue(list: Reply[]): Promise<void> {
    if (closed) {
      log.warn({ replies: list.length }, 'reply after the handler finished or timed out: dropped');
      return Promise.resolve();
    }
    // Indexes are taken now, synchronously, so the order of calls is the order of the ids.
    for (const r of list) {
      const quota = !isTyping(r);
      if (quota) counted += 1;
      const i = index++;
      tail = tail.then(async () => {
        // Counted at the call, given back once known not to be a customer-service send: the
        // estimate errs towards fewer replies left, never more.
        if ((await enqueue(r, i)) === 'answer' && quota) counted -= 1;
      });
    }
    const done = tail;
    done.catch(() => undefined); // reported by finish(); an un-awaited ctx.reply is not an unhandled rejection
    pending.push(done);
    return done;
  }

  const ctx: HandlerContext<M> = {
    appid,
    openid,
    message,
    log,
    get signal() {
      return typeof signal === 'function' ? signal() : signal;
    },
    attempt,
    replyMode,
    dedupKey,
    get repliesLeft() {
      return quotaWindow ? Math.max(0, quotaWindow.remaining - counted) : 0;
    },
    quotaWindow,
    reply: (...replies) => {
      try {
        return queue(normalizeReplies(replies.flat() as MaybeReply[]));
      } catch (err) {
        return Promise.reject(err);
      }
    },
    typing: () => queue([build.typing()]),
  };

  return {
    ctx,
    async finish(returned) {
      await queue(normalizeReplies(returned as Parameters<typeof normalizeReplies>[0]));
      closed = true;
      await Promise.all(pending);
      return index;
    },
    async close() {
      closed = true;
      await Promise.allSettled(pending);
    },
  };
}
