// The handler API's types: the message a handler gets is narrowed by its key, from the one
// `as const` list of message types and event names (src/wechat/messages.ts).
import { describe, expectTypeOf, it } from 'vitest';
import { defineHandlers, reply, type HandlerContext } from '../../src/handlers/define-handlers.js';
import type { ClickEvent, EventMessage, ImageMessage, ScanEvent, SubscribeEvent, TextMessage, WeChatMessage } from '../../src/wechat/messages.js';

describe('handler types', () => {
  it('narrow the message by key', () => {
    defineHandlers((bot) => {
      bot.on('text', (msg, ctx) => {
        expectTypeOf(msg).toEqualTypeOf<TextMessage>();
        expectTypeOf(ctx).toMatchTypeOf<HandlerContext<TextMessage>>();
        expectTypeOf(ctx.repliesLeft).toBeNumber();
        return msg.Content;
      });
      bot.on('image', (msg) => {
        expectTypeOf(msg).toEqualTypeOf<ImageMessage>();
        return reply.image(msg.MediaId);
      });
      bot.on('event.subscribe', (msg) => {
        expectTypeOf(msg).toEqualTypeOf<SubscribeEvent>();
      });
      bot.on('event.CLICK', 'MENU_KEY', (msg) => {
        expectTypeOf(msg).toEqualTypeOf<ClickEvent>();
        return [msg.EventKey, reply.text('two replies')];
      });
      bot.on('event.SCAN', /^scene_/, (msg) => {
        expectTypeOf(msg).toEqualTypeOf<ScanEvent>();
      });
      bot.on('event', (msg) => {
        expectTypeOf(msg).toMatchTypeOf<EventMessage>();
      });
      bot.onText(/^天气 (.+)/, (msg, _ctx, match) => {
        expectTypeOf(msg).toEqualTypeOf<TextMessage>();
        return match[1];
      });
      bot.fallback((msg) => {
        expectTypeOf(msg).toEqualTypeOf<WeChatMessage>();
      });
      // @ts-expect-error: not an event name in EVENT_NAMES
      bot.on('event.CLIKC', () => 'typo');
      // @ts-expect-error: not a message type
      bot.on('sticker', () => 'no such type');
    });
  });
});
