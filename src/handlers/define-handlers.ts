// The one import an account's handlers module needs:
//
//   import { defineHandlers, reply } from 'wxgate/handlers';
//   export default defineHandlers((bot) => {
//     bot.on('text', (msg) => `you said: ${msg.Content}`);
//     bot.on('event.subscribe', () => reply.text('welcome!'));
//   });
//
// A module may also export the setup function itself (`export default (bot) => { … }`):
// loadHandlers wraps it. See README "Handlers" for the whole API.
import { createRouter, type Bot, type Router } from '../worker/router.js';

const BRAND = Symbol.for('wxgate.handlers');

export interface Handlers {
  readonly [BRAND]: true;
  readonly router: Router;
}

/** Builds the routing table once, when the module loads; a mistake (a key registered twice) throws then. */
export function defineHandlers(setup: (bot: Bot) => void): Handlers {
  return { [BRAND]: true, router: createRouter(setup) };
}

export function isHandlers(value: unknown): value is Handlers {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[BRAND] === true;
}

export { reply } from '../worker/replies.js';
/** One message through the handlers as a worker runs it, without Redis: for the handlers' tests. */
export { runHandler, type HandlerRun, type RunHandlerOptions } from './run-handler.js';
export type { Reply, ReplyInput, MaybeReply, HandlerResult } from '../worker/replies.js';
export type { Bot, Handler, TextPatternHandler, RouteKey, MessageFor } from '../worker/router.js';
export type { HandlerContext } from '../worker/handler-context.js';
/** Throw it from a handler to fail the message at once, without retries. */
export { UnrecoverableError } from '../errors.js';
export type * from '../wechat/messages.js';
