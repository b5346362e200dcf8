// The table an account's handlers module fills in, and the lookup for one message. Matching goes
// from most specific to least: event + EventKey (or text + pattern), event, message type,
// fallback; at each level the handlers of the message's own appid (bot.app) come before the
// shared ones. A message no handler matches is acknowledged and logged `unhandled`, never an error.
import { ConfigError } from '../errors.js';
import type { EventMessage, EventName, KnownEvent, KnownMessage, MessageType, TextMessage, WeChatMessage } from '../wechat/messages.js';
import type { HandlerContext } from './handler-context.js';
import type { HandlerResult } from './replies.js';

/** Any event, or an ordinary message of type T. */
export type MessageOf<T extends MessageType> = T extends 'event' ? EventMessage & WeChatMessage : Extract<KnownMessage, { MsgType: T }>;
export type EventOf<E extends EventName> = Extract<KnownEvent, { Event: E }>;
/** `'text'`, `'image'`, …, `'event'` (any event), or `'event.<Event>'` from EVENT_NAMES. */
export type RouteKey = MessageType | `event.${EventName}`;
export type MessageFor<K extends RouteKey> = K extends `event.${infer E extends EventName}` ? EventOf<E> : K extends MessageType ? MessageOf<K> : never;

export type Handler<M = WeChatMessage> = (message: M, ctx: HandlerContext<M>) => HandlerResult | Promise<HandlerResult>;
export type TextPatternHandler = (message: TextMessage, ctx: HandlerContext<TextMessage>, match: RegExpExecArray) => HandlerResult | Promise<HandlerResult>;

export interface Bot {
  /** A message type (`'text'`, `'image'`, `'event'` for any event) or one event (`'event.subscribe'`). */
  on<K extends RouteKey>(key: K, handler: Handler<MessageFor<K>>): Bot;
  /** One event with one EventKey (exact, or a pattern): `bot.on('event.CLICK', 'MENU_HELP', …)`. */
  on<E extends EventName>(key: `event.${E}`, eventKey: string | RegExp, handler: Handler<EventOf<E>>): Bot;
  /** Text whose content matches (a string: the whole trimmed content); the match goes to the handler. */
  onText(pattern: string | RegExp, handler: TextPatternHandler): Bot;
  /** Everything nothing else matched, unknown message types included. */
  fallback(handler: Handler<WeChatMessage>): Bot;
  /** Handlers for one account only, tried before the shared ones at each level. */
  app(appid: string, setup: (bot: Bot) => void): Bot;
}

export interface Route {
  /** What matched, for the log line: 'event.CLICK:MENU_KEY', 'text~/^hi/', 'text', 'fallback'. */
  readonly name: string;
  run(message: WeChatMessage, ctx: HandlerContext): HandlerResult | Promise<HandlerResult>;
}

type AnyHandler = (message: WeChatMessage, ctx: HandlerContext, match?: RegExpExecArray) => HandlerResult | Promise<HandlerResult>;

interface Table {
  /** `${Event}\n${EventKey}` → handler. */
  readonly keyed: Map<string, AnyHandler>;
  readonly keyPatterns: { event: string; pattern: RegExp; handler: AnyHandler }[];
  readonly textExact: Map<string, AnyHandler>;
  readonly textPatterns: { pattern: RegExp; handler: AnyHandler }[];
  /** Event name → handler. */
  readonly events: Map<string, AnyHandler>;
  /** MsgType → handler ('event' = any event). */
  readonly types: Map<string, AnyHandler>;
  fallback?: AnyHandler;
}

const newTable = (): Table => ({ keyed: new Map(), keyPatterns: [], textExact: new Map(), textPatterns: [], events: new Map(), types: new Map() });

function setOnce<V>(map: Map<string, V>, key: string, value: V, what: string): void {
  if (map.has(key)) throw new ConfigError(`handlers: ${what} is registered twice; keep one handler for it`);
  map.set(key, value);
}

function assertHandler(h: unknown, what: string): asserts h is AnyHandler {
  if (typeof h !== 'function') throw new ConfigError(`handlers: the handler for ${what} is not a function`);
}

function exec(pattern: RegExp, input: string): RegExpExecArray | null {
  pattern.lastIndex = 0; // a /g or /y pattern keeps state between calls
  return pattern.exec(input);
}

function botFor(table: Table, where: string, apps: Map<string, Table> | undefined): Bot {
  const bot: Bot = {
    on(key: string, a: unknown, b?: unknown) {
      const keyed = b !== undefined;
      const handler = keyed ? b : a;
      const label = `${where}${key}${keyed ? ` ${String(a)}` : ''}`;
      assertHandler(handler, label);
      if (key.startsWith('event.')) {
        const event = key.slice('event.'.length);
        if (event === '') throw new ConfigError(`handlers: "${key}" names no event; use "event" for any event`);
        if (!keyed) setOnce(table.events, event, handler, label);
        else if (a instanceof RegExp) table.keyPatterns.push({ event, pattern: a, handler });
        else if (typeof a === 'string') setOnce(table.keyed, `${event}\n${a}`, handler, label);
        else throw new ConfigError(`handlers: the EventKey for ${key} must be a string or a RegExp`);
      } else {
        if (keyed) throw new ConfigError(`handlers: only events take an EventKey ("${key}" is a message type)`);
        setOnce(table.types, key, handler, label);
      }
      return bot;
    },
    onText(pattern, handler) {
      assertHandler(handler, `${where}text ${String(pattern)}`);
      if (pattern instanceof RegExp) table.textPatterns.push({ pattern, handler: handler as AnyHandler });
      else setOnce(table.textExact, pattern.trim(), handler as AnyHandler, `${where}text "${pattern}"`);
      return bot;
    },
    fallback(handler) {
      assertHandler(handler, `${where}fallback`);
      if (table.fallback) throw new ConfigError(`handlers: ${where}fallback is registered twice; keep one`);
      table.fallback = handler;
      return bot;
    },
    app(appid, setup) {
      if (!apps) throw new ConfigError('handlers: bot.app() cannot be nested inside bot.app()');
      if (typeof appid !== 'string' || appid === '') throw new ConfigError('handlers: bot.app() needs an appid');
      let t = apps.get(appid);
      if (!t) apps.set(appid, (t = newTable()));
      setup(botFor(t, `[${appid}] `, undefined));
      return bot;
    },
  };
  return bot;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/** One level of the match, in one table. */
function levels(message: WeChatMessage): ((t: Table) => Route | undefined)[] {
  const type = message.MsgType;
  const event = type === 'event' ? str(message.Event) : undefined;
  const eventKey = str(message.EventKey) ?? '';
  const content = type === 'text' ? (str(message.Content) ?? '') : undefined;
  const route = (name: string, h: AnyHandler | undefined, match?: RegExpExecArray): Route | undefined =>
    h && { name, run: (m, ctx) => (match ? h(m, ctx, match) : h(m, ctx)) };
  return [
    (t) => {
      if (event !== undefined) {
        const exact = route(`event.${event}:${eventKey}`, t.keyed.get(`${event}\n${eventKey}`));
        if (exact) return exact;
        for (const p of t.keyPatterns) {
          if (p.event !== event) continue;
          const m = exec(p.pattern, eventKey);
          if (m) return route(`event.${event}~${p.pattern}`, p.handler, m);
        }
      }
      if (content !== undefined) {
        const trimmed = content.trim();
        const h = t.textExact.get(trimmed);
        if (h) return route(`text="${trimmed.slice(0, 40)}"`, h, Object.assign([trimmed], { index: 0, input: trimmed, groups: undefined }) as RegExpExecArray);
        for (const p of t.textPatterns) {
          const m = exec(p.pattern, content);
          if (m) return route(`text~${p.pattern}`, p.handler, m);
        }
      }
      return undefined;
    },
    (t) => (event !== undefined ? route(`event.${event}`, t.events.get(event)) : undefined),
    (t) => route(type, t.types.get(type)),
    (t) => route('fallback', t.fallback),
  ];
}

export interface Router {
  /** The handler for this message, or undefined when nothing (not even a fallback) matches. */
  route(appid: string, message: WeChatMessage): Route | undefined;
}

export function createRouter(setup: (bot: Bot) => void): Router {
  const shared = newTable();
  const apps = new Map<string, Table>();
  setup(botFor(shared, '', apps));
  return {
    route(appid, message) {
      const own = apps.get(appid);
      for (const level of levels(message)) {
        const hit = (own && level(own)) || level(shared);
        if (hit) return hit;
      }
      return undefined;
    },
  };
}
