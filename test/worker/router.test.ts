import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import { defineHandlers } from '../../src/handlers/define-handlers.js';
import type { HandlerContext } from '../../src/worker/handler-context.js';
import type { WeChatMessage } from '../../src/wechat/messages.js';

const base = { ToUserName: 'gh_x', FromUserName: 'oUser', CreateTime: '1700000000' };
const textMsg = (Content: string) => ({ ...base, MsgType: 'text', Content, MsgId: '1' }) as WeChatMessage;
const eventMsg = (Event: string, EventKey?: string) => ({ ...base, MsgType: 'event', Event, ...(EventKey === undefined ? {} : { EventKey }) }) as WeChatMessage;
const ctx = {} as HandlerContext;

function routes(setup: Parameters<typeof defineHandlers>[0]) {
  const { router } = defineHandlers(setup);
  return (m: WeChatMessage, appid = 'wxA') => {
    const r = router.route(appid, m);
    return r ? { name: r.name, result: r.run(m, ctx) } : undefined;
  };
}

describe('router: most specific first', () => {
  const match = routes((bot) => {
    bot.on('event.CLICK', 'MENU_A', () => 'click A');
    bot.on('event.CLICK', /^MENU_(\d+)$/, () => 'click n');
    bot.on('event.CLICK', () => 'any click');
    bot.on('event', () => 'any event');
    bot.onText('help', () => 'help');
    bot.onText(/^天气 (.+)/, (_m, _c, match) => `weather in ${match[1]}`);
    bot.on('text', (m) => `text ${m.Content}`);
    bot.fallback((m) => `fallback ${m.MsgType}`);
  });

  it.each([
    [eventMsg('CLICK', 'MENU_A'), 'event.CLICK:MENU_A', 'click A'],
    [eventMsg('CLICK', 'MENU_7'), 'event.CLICK~/^MENU_(\\d+)$/', 'click n'],
    [eventMsg('CLICK', 'OTHER'), 'event.CLICK', 'any click'],
    [eventMsg('subscribe'), 'event', 'any event'],
    [eventMsg('some_future_event'), 'event', 'any event'],
    [textMsg(' help '), 'text="help"', 'help'],
    [textMsg('天气 北京'), 'text~/^天气 (.+)/', 'weather in 北京'],
    [textMsg('hello'), 'text', 'text hello'],
    [{ ...base, MsgType: 'image', PicUrl: 'u', MediaId: 'm', MsgId: '2' } as WeChatMessage, 'fallback', 'fallback image'],
    [{ ...base, MsgType: 'brand_new_type' } as WeChatMessage, 'fallback', 'fallback brand_new_type'],
  ])('%# → %s', (message, name, result) => {
    expect(match(message)).toEqual({ name, result });
  });

  it('nothing matches and no fallback: undefined (the worker logs "unhandled")', () => {
    const m = routes((bot) => bot.on('text', () => 'x'));
    expect(m(eventMsg('subscribe'))).toBeUndefined();
  });

  it('a /g pattern matches every time (its lastIndex is reset)', () => {
    const m = routes((bot) => bot.onText(/hi/g, () => 'hi'));
    expect(m(textMsg('hi'))?.result).toBe('hi');
    expect(m(textMsg('hi'))?.result).toBe('hi');
  });
});

describe('router: per-account handlers (bot.app)', () => {
  const match = routes((bot) => {
    bot.on('text', () => 'shared text');
    bot.on('event.subscribe', () => 'shared welcome');
    bot.fallback(() => 'shared fallback');
    bot.app('wxB', (b) => {
      b.on('text', () => 'B text');
      b.fallback(() => 'B fallback');
    });
  });

  it("an account's own handler wins at the same level; a more specific shared one still wins over a less specific own one", () => {
    expect(match(textMsg('x'), 'wxB')?.result).toBe('B text');
    expect(match(textMsg('x'), 'wxA')?.result).toBe('shared text');
    expect(match(eventMsg('subscribe'), 'wxB')?.result).toBe('shared welcome');
    expect(match(eventMsg('VIEW'), 'wxB')?.result).toBe('B fallback');
    expect(match(eventMsg('VIEW'), 'wxA')?.result).toBe('shared fallback');
  });
});

describe('router: mistakes fail when the module loads', () => {
  it.each<[string, Parameters<typeof defineHandlers>[0]]>([
    ['the same key twice', (bot) => bot.on('text', () => 'a').on('text', () => 'b')],
    ['the same event key twice', (bot) => bot.on('event.CLICK', 'K', () => 'a').on('event.CLICK', 'K', () => 'b')],
    ['two fallbacks', (bot) => bot.fallback(() => 'a').fallback(() => 'b')],
    ['a handler that is not a function', (bot) => bot.on('text', 'oops' as never)],
    ['an EventKey on a message type', (bot) => (bot.on as (...a: unknown[]) => unknown)('text', 'K', () => 'a')],
    ['bot.app inside bot.app', (bot) => bot.app('wxA', (b) => b.app('wxB', () => undefined))],
  ])('%s → ConfigError', (_name, setup) => {
    expect(() => defineHandlers(setup)).toThrow(ConfigError);
  });
});
