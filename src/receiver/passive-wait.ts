// What the receiver answers a push of an account in reply mode passive or auto, once it has
// waited for the first reply (src/queue/passive-slot.ts). Four answers, logged as `answer`:
//   passive   the reply, as WeChat's passive reply XML (encrypted for an encrypted push)
//   success   nothing to wait for: the handler replied nothing a passive reply can carry, or the
//             push was spooled (no worker can see it in time — unless its add reached Redis after
//             all and a worker's reply came already: then that reply is the answer)
//   too_late  the wait ran out: `success`; the reply goes through customer service (auto) or is
//             dropped with a `reply_too_late` line (passive)
//   run_out   retry mode (passive, WXGATE_PASSIVE_USE_RETRIES=1), not the last delivery: no answer,
//             so that WeChat delivers the push again and a later delivery carries the reply
import type { Context } from 'koa';
import type { PassiveSlot } from '../queue/passive-slot.js';
import type { WeChatMessage } from '../wechat/messages.js';
import { isPassiveReply } from '../wechat/passive-reply.js';
import type { RegisteredApp } from './app-registry.js';
import { passiveAnswer } from './passive-answer.js';
import type { WireMode } from './read-push.js';

export type PassiveAnswer = 'passive' | 'success' | 'too_late' | 'run_out';

export interface PassiveOutcome {
  readonly answer: PassiveAnswer;
  readonly body?: string;
  /** From the worker's publish to the receiver having the reply (one clock when on one machine). */
  readonly handOverMs?: number;
}

export interface PassiveWaitOptions {
  readonly waitMs: number;
  readonly retries: boolean;
  readonly app: RegisteredApp;
  readonly message: WeChatMessage;
  readonly wire: WireMode;
  readonly nonce: string;
  readonly nowS: () => number;
}

/** WeChat delivers a push 3 times in all: the last one is answered, whatever happens. */
const WECHAT_DELIVERIES = 3;
/** WeChat drops the connection after 5 s; a request left to run out is closed by then at the latest. */
const RUN_OUT_MS = 5500;

/** The answer to a push whose wait was skipped: `success`, or the reply a worker handed over already (PassiveSlot#cancel). */
export function answerWithoutWait(slot: PassiveSlot | undefined, { app, message, wire, nonce, nowS }: Omit<PassiveWaitOptions, 'waitMs' | 'retries'>): PassiveOutcome {
  const early = slot?.cancel();
  if (early && 'reply' in early && isPassiveReply(early.reply)) return { answer: 'passive', body: passiveAnswer({ app, message, reply: early.reply, wire, nonce, nowS: nowS() }) };
  return { answer: 'success' };
}

export async function awaitPassiveReply(slot: PassiveSlot, { waitMs, retries, app, message, wire, nonce, nowS }: PassiveWaitOptions): Promise<PassiveOutcome> {
  const r = await slot.wait(waitMs);
  if (r.outcome === 'reply' && isPassiveReply(r.reply)) {
    return { answer: 'passive', body: passiveAnswer({ app, message, reply: r.reply, wire, nonce, nowS: nowS() }), handOverMs: r.handOverMs };
  }
  if (r.outcome !== 'timeout') return { answer: 'success' };
  return retries && (r.delivery ?? WECHAT_DELIVERIES) < WECHAT_DELIVERIES ? { answer: 'run_out' } : { answer: 'too_late' };
}

/** Leaves the request unanswered until WeChat gives up on it (or RUN_OUT_MS after it came), then closes it. */
export async function holdUntilDropped(ctx: Context, receivedAt: number): Promise<void> {
  ctx.respond = false;
  const socket = ctx.req.socket;
  await new Promise<void>((resolve) => {
    if (socket.destroyed) return resolve(); // WeChat gave up during the wait already
    const timer = setTimeout(resolve, Math.max(0, receivedAt + RUN_OUT_MS - Date.now()));
    socket.once('close', () => {
      clearTimeout(timer);
      resolve();
    });
  });
  socket.destroy();
}
