// Runs one message through an account's handlers the way a worker does, without Redis or WeChat:
// for the handlers' own tests (the project `wxgate init` makes has one). `replies` are all the
// handler gave, in order, typing indicators included; in reply modes passive and auto the run
// also says which one WeChat's answer would carry and which would go through customer service,
// by the worker's own passive route (worker/passive-route.ts).
import { pino } from 'pino';
import type { Logger } from '../logger.js';
import type { WeChatMessage } from '../wechat/messages.js';
import { createHandlerContext } from '../worker/handler-context.js';
import type { QuotaWindow } from '../worker/quota-window.js';
import type { Reply } from '../worker/replies.js';
import type { Handlers } from './define-handlers.js';
import type { ReplyMode } from '../config.js';
import type { HandOverOutcome, PassiveHandOver } from '../queue/passive-hand-over.js';
import { createPassiveRoute } from '../worker/passive-route.js';

export interface RunHandlerOptions {
  appid?: string;
  /** Replies the user may still receive (WeChat: 5 in the 48 h after a message). */
  repliesLeft?: number;
  signal?: AbortSignal;
  /** Where ctx.log writes (default: nowhere). */
  log?: Logger;
  /** What ctx.replyMode says and how replies travel (default custom). */
  replyMode?: ReplyMode;
  /**
   * Reply modes passive and auto: whether the receiver still waits when the first reply is ready
   * (default true; false: the handler took longer than WXGATE_PASSIVE_WAIT_MS).
   */
  inTime?: boolean;
}

export interface HandlerRun {
  /** Which handler matched ('text', 'event.CLICK:MENU_HELP', 'fallback'), null when none did. */
  readonly route: string | null;
  readonly replies: readonly Reply[];
  /** The reply WeChat's answer to the push carries (reply modes passive and auto), else null. */
  readonly answer: Reply | null;
  /** The replies the worker would queue for the customer-service API. */
  readonly sent: readonly Reply[];
}

/** The fields every push has, filled in when a test leaves them out. */
function completeMessage(partial: Partial<WeChatMessage> & { MsgType: string }): WeChatMessage {
  return { ToUserName: 'gh_test', FromUserName: 'otest', CreateTime: String(Math.floor(Date.now() / 1000)), ...partial } as WeChatMessage;
}

export async function runHandler(handlers: Handlers, partial: Partial<WeChatMessage> & { MsgType: string }, { appid = 'wxtest', repliesLeft = 5, signal = new AbortController().signal, log = pino({ level: 'silent' }), replyMode = 'custom', inTime = true }: RunHandlerOptions = {}): Promise<HandlerRun> {
  const message = completeMessage(partial);
  const route = handlers.router.route(appid, message);
  if (!route) return { route: null, replies: [], answer: null, sent: [] };
  const replies: Reply[] = [];
  const sent: Reply[] = [];
  let answer: Reply | null = null;
  // The receiver's side of the hand-over, in memory: it takes the first reply while it waits.
  const handOver: PassiveHandOver = {
    async offer(_dedupKey, offered): Promise<HandOverOutcome> {
      if (!inTime) return 'absent';
      if ('reply' in offered && offered.reply) answer = offered.reply;
      return 'handed';
    },
  };
  const passive = replyMode === 'custom' ? undefined : createPassiveRoute({ handOver, log }, { dedupKey: 'test', replyMode });
  const quotaWindow: QuotaWindow = { kind: message.MsgType === 'event' ? 'event' : 'message', allowed: repliesLeft, remaining: repliesLeft, expiresAt: Date.now() + 48 * 3600_000 };
  const running = createHandlerContext({
    appid,
    message,
    openid: message.FromUserName,
    dedupKey: 'test',
    attempt: 1,
    replyMode,
    log,
    signal,
    quotaWindow,
    enqueue: async (reply, index) => {
      replies[index] = reply;
      if (passive && (await passive.route(reply))) return 'answer';
      sent.push(reply);
      return 'queued';
    },
  });
  await running.finish(await route.run(message, running.ctx));
  await passive?.finish();
  return { route: route.name, replies, answer, sent };
}
