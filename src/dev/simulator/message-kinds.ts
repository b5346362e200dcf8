// The kinds of push the simulator can send, built as WeChat documents them:
// messages https://developers.weixin.qq.com/doc/offiaccount/Message_Management/Receiving_standard_messages.html
// events   https://developers.weixin.qq.com/doc/offiaccount/Message_Management/Receiving_event_pushes.html
// Text and events go through src/dev/pushes.ts builders, so every tool makes them the same way.
import { eventMessage, textMessage } from '../pushes.js';
import type { XmlRecord } from '../../wechat/xml.js';

export const SIM_KINDS = ['text', 'image', 'voice', 'location', 'link', 'subscribe', 'unsubscribe', 'click', 'view', 'scan'] as const;
export type SimKind = (typeof SIM_KINDS)[number];

const KIND_SET: ReadonlySet<string> = new Set(SIM_KINDS);
export const isSimKind = (k: string): k is SimKind => KIND_SET.has(k);

/** Kinds that are events: no MsgId; WeChat's dedup for them is FromUserName + CreateTime. */
export const isEventKind = (k: SimKind): boolean => !['text', 'image', 'voice', 'location', 'link'].includes(k);

export interface MessageSpec {
  kind: SimKind;
  openid: string;
  /** Ordinary messages only. */
  msgId: string;
  createTime: number;
  toUser: string;
  /** text: Content; link: Title; click: EventKey; view: the URL; scan: the scene. */
  content?: string;
  /** 1-based, used in default contents so every message is told apart. */
  seq: number;
}

function ordinary(spec: MessageSpec, msgType: string, fields: Record<string, string>): XmlRecord {
  return { ToUserName: spec.toUser, FromUserName: spec.openid, CreateTime: String(spec.createTime), MsgType: msgType, ...fields, MsgId: spec.msgId };
}

export function buildMessage(spec: MessageSpec): XmlRecord {
  const { kind, openid, createTime, toUser, seq, content } = spec;
  const event = (name: string, eventKey?: string, extra: Record<string, string> = {}) => ({ ...eventMessage({ openid, event: name, eventKey, toUser, createTime }), ...extra });
  switch (kind) {
    case 'text':
      return textMessage({ openid, content: content ?? `simulated message ${seq}`, msgId: spec.msgId, toUser, createTime });
    case 'image':
      return ordinary(spec, 'image', { PicUrl: `https://mmbiz.qpic.cn/sim/${seq}.jpg`, MediaId: `sim_media_${seq}` });
    case 'voice':
      return ordinary(spec, 'voice', { MediaId: `sim_media_${seq}`, Format: 'amr', Recognition: content ?? '' });
    case 'location':
      return ordinary(spec, 'location', { Location_X: '23.134521', Location_Y: '113.358803', Scale: '20', Label: content ?? '广州市天河区' });
    case 'link':
      return ordinary(spec, 'link', { Title: content ?? `simulated link ${seq}`, Description: 'sent by wxgate simulate', Url: `https://example.com/sim/${seq}` });
    case 'subscribe':
      return event('subscribe');
    case 'unsubscribe':
      return event('unsubscribe');
    case 'click':
      return event('CLICK', content ?? 'SIM_MENU');
    case 'view':
      return event('VIEW', content ?? 'https://example.com/', { MenuId: '1' });
    case 'scan':
      return event('SCAN', content ?? '1001', { Ticket: `sim_ticket_${seq}` });
  }
}

/** WeChat's alert samples name the push as [Msg=Text] or [Event=CLICK]. */
export function sampleType(message: XmlRecord): string {
  const cap = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);
  return message.MsgType === 'event' ? `[Event=${String(message.Event)}]` : `[Msg=${cap(String(message.MsgType))}]`;
}
