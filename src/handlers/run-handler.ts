// Runs one message through an account's handlers the way a worker does, without Redis or WeChat:
// for the handlers' own tests (the project `wxgate init` makes has one). The replies are what
// the worker would queue for the customer-service API, in order, typing indicators included.
import { pino } from 'pino';
import type { Logger } from '../logger.js';
import type { WeChatMessage } from '../wechat/messages.js';
import { createHandlerContext } from '../worker/handler-context.js';
import type { QuotaWindow } from '../worker/quota-window.js';
import type { Reply } from '../worker/replies.js';
import type { Handlers } from './define-handlers.js';
import type { ReplyMode } from '../config.js';

export interface RunHandlerOptions {
  appid?: string;
  /** Replies the user may still receive (WeChat: 5 in the 48 h after a message). */
  repliesLeft?: number;
  signal?: AbortSignal;
  /** Where ctx.log writes (default: nowhere). */
  log?: Logger;
  /** What ctx.replyMode says (default custom). The replies are collected the same in every mode. */
  replyMode?: ReplyMode;
}

export interface HandlerRun {
  /** Which handler matched ('text', 'event.CLICK:MENU_HELP', 'fallback'), null when none did. */
  readonly route: string | null;
  readonly replies: readonly Reply[];
}

/** The fields every push has, filled in when a test leaves them out. */
function completeMessage(partial: Partial<WeChatMessage> & { MsgType: string }): WeChatMessage {
  return { ToUserName: 'gh_test', FromUserName: 'otest', CreateTime: String(Math.floor(Date.now() / 1000)), ...partial } as WeChatMessage;
}

export async function runHandler(handlers: Handlers, partial: Partial<WeChatMessage> & { MsgType: string }, { appid = 'wxtest', repliesLeft = 5, signal = new AbortController().signal, log = pino({ level: 'silent' }), replyMode = 'custom' }: RunHandlerOptions = {}): Promise<HandlerRun> {
  const message = completeMessage(partial);
  const route = handlers.router.route(appid, message);
  if (!route) return { route: null, replies: [] };
  const replies: Reply[] = [];
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
    },
  });
  await running.finish(await route.run(message, running.ctx));
  return { route: route.name, replies };
}
