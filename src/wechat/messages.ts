// Typed WeChat Official Account pushes: ordinary messages and events.
// Messages: https://developers.weixin.qq.com/doc/offiaccount/Message_Management/Receiving_standard_messages.html
// Events:   https://developers.weixin.qq.com/doc/offiaccount/Message_Management/Receiving_event_pushes.html
// Menu, template, mass-send, subscribe-message, verification, customer-service, card, publish,
// store, shop, Wi-Fi and Shake events each live on their feature's page; the fixtures in
// test/fixtures/wechat/ follow those pages' examples.
//
// The records stay what the XML parser made (every leaf a string); the types below only
// name the fields each documented type carries. Anything not in the lists is an UnknownMessage:
// kept whole and routed to a fallback, never dropped and never an error.
import { hash } from 'node:crypto';
import { XmlError } from '../errors.js';
import type { XmlRecord, XmlValue } from './xml.js';

export const MESSAGE_TYPES = ['text', 'image', 'voice', 'video', 'shortvideo', 'location', 'link', 'file', 'event'] as const;
export type MessageType = (typeof MESSAGE_TYPES)[number];

export const EVENT_NAMES = [
  // follow, QR codes, reported location
  'subscribe',
  'unsubscribe',
  'SCAN',
  'LOCATION',
  // custom menu
  'CLICK',
  'VIEW',
  'scancode_push',
  'scancode_waitmsg',
  'pic_sysphoto',
  'pic_photo_or_album',
  'pic_weixin',
  'location_select',
  'view_miniprogram',
  // template messages, mass sending, publishing
  'TEMPLATESENDJOBFINISH',
  'MASSSENDJOBFINISH',
  'PUBLISHJOBFINISH',
  // subscription messages (一次性订阅 / 订阅通知)
  'subscribe_msg_popup_event',
  'subscribe_msg_change_event',
  'subscribe_msg_sent_event',
  // account verification (微信认证)
  'qualification_verify_success',
  'qualification_verify_fail',
  'naming_verify_success',
  'naming_verify_fail',
  'annual_renew',
  'verify_expired',
  // customer service (客服)
  'user_enter_tempsession',
  'kf_create_session',
  'kf_close_session',
  'kf_switch_session',
  // cards and coupons (卡券)
  'card_pass_check',
  'card_not_pass_check',
  'user_get_card',
  'user_gifting_card',
  'user_del_card',
  'user_consume_card',
  'user_pay_from_pay_cell',
  'user_view_card',
  'user_enter_session_from_card',
  'update_member_card',
  'card_sku_remind',
  'card_pay_order',
  'submit_membercard_user_info',
  // stores, shop, Wi-Fi, Shake
  'poi_check_notify',
  'merchant_order',
  'WifiConnected',
  'ShakearoundUserShake',
] as const;
export type EventName = (typeof EVENT_NAMES)[number];

const MESSAGE_TYPE_SET: ReadonlySet<string> = new Set(MESSAGE_TYPES);
const EVENT_NAME_SET: ReadonlySet<string> = new Set(EVENT_NAMES);

export function isKnownMessageType(type: string): type is MessageType {
  return MESSAGE_TYPE_SET.has(type);
}

export function isKnownEvent(name: string): name is EventName {
  return EVENT_NAME_SET.has(name);
}

// ---------------------------------------------------------------------------------------------
// Records. Per-type shapes are intersections with BaseMessage rather than `interface … extends`:
// an interface may not declare an optional field beside the XmlValue index signature (without
// exactOptionalPropertyTypes), an intersection may, and stays assignable to XmlRecord (buildXml).
// Nested shapes are type literals for the same reason.

export interface BaseMessage {
  ToUserName: string;
  FromUserName: string;
  CreateTime: string;
  MsgType: string;
  [field: string]: XmlValue;
}

type OrdinaryMessage = BaseMessage & {
  MsgId: string;
};

export type TextMessage = OrdinaryMessage & {
  MsgType: 'text';
  Content: string;
};

export type ImageMessage = OrdinaryMessage & {
  MsgType: 'image';
  PicUrl: string;
  MediaId: string;
};

export type VoiceMessage = OrdinaryMessage & {
  MsgType: 'voice';
  MediaId: string;
  Format: string;
  /** Speech recognition result, present when the account enabled it. */
  Recognition?: string;
};

export type VideoMessage = OrdinaryMessage & {
  MsgType: 'video';
  MediaId: string;
  ThumbMediaId: string;
};

export type ShortVideoMessage = OrdinaryMessage & {
  MsgType: 'shortvideo';
  MediaId: string;
  ThumbMediaId: string;
};

export type LocationMessage = OrdinaryMessage & {
  MsgType: 'location';
  Location_X: string;
  Location_Y: string;
  Scale: string;
  Label: string;
};

export type LinkMessage = OrdinaryMessage & {
  MsgType: 'link';
  Title: string;
  Description: string;
  Url: string;
};

export type FileMessage = OrdinaryMessage & {
  MsgType: 'file';
  Title: string;
  Description: string;
  FileKey: string;
  FileMd5: string;
  FileTotalLen: string;
};

/** Any event push: MsgType 'event' with an Event name. */
export interface EventMessage extends BaseMessage {
  MsgType: 'event';
  Event: string;
}

export type SubscribeEvent = EventMessage & {
  Event: 'subscribe';
  /** 'qrscene_<scene>' when the user followed by scanning a parametric QR code. */
  EventKey?: string;
  Ticket?: string;
};

export type UnsubscribeEvent = EventMessage & {
  Event: 'unsubscribe';
  EventKey?: string;
};

export type ScanEvent = EventMessage & {
  Event: 'SCAN';
  EventKey: string;
  Ticket?: string;
};

export type LocationEvent = EventMessage & {
  Event: 'LOCATION';
  Latitude: string;
  Longitude: string;
  Precision: string;
};

export type ClickEvent = EventMessage & {
  Event: 'CLICK';
  EventKey: string;
};

export type ViewEvent = EventMessage & {
  Event: 'VIEW';
  EventKey: string;
  MenuId?: string;
};

export type ScancodeEvent = EventMessage & {
  Event: 'scancode_push' | 'scancode_waitmsg';
  EventKey: string;
  ScanCodeInfo: { ScanType: string; ScanResult: string };
};

export type PicListItem = { PicMd5Sum: string };

export type PicEvent = EventMessage & {
  Event: 'pic_sysphoto' | 'pic_photo_or_album' | 'pic_weixin';
  EventKey: string;
  /** PicList is '' when the user sent no picture (Count 0); `item` is always an array. */
  SendPicsInfo: { Count: string; PicList: { item: PicListItem[] } | '' };
};

export type LocationSelectEvent = EventMessage & {
  Event: 'location_select';
  EventKey: string;
  SendLocationInfo: { Location_X: string; Location_Y: string; Scale: string; Label: string; Poiname?: string };
};

export type ViewMiniprogramEvent = EventMessage & {
  Event: 'view_miniprogram';
  EventKey: string;
  MenuId?: string;
};

export type TemplateSendJobFinishEvent = EventMessage & {
  Event: 'TEMPLATESENDJOBFINISH';
  /** Note the capital D: the id of the template send, not a message id. */
  MsgID: string;
  Status: string;
};

export type MassSendJobFinishEvent = EventMessage & {
  Event: 'MASSSENDJOBFINISH';
  MsgID: string;
  Status: string;
  TotalCount: string;
  FilterCount: string;
  SentCount: string;
  ErrorCount: string;
  CopyrightCheckResult?: XmlValue;
  ArticleUrlResult?: XmlValue;
};

export type PublishJobFinishEvent = EventMessage & {
  Event: 'PUBLISHJOBFINISH';
  PublishEventInfo: {
    publish_id: string;
    publish_status: string;
    article_id?: string;
    article_detail?: XmlValue;
    fail_idx?: XmlValue;
  };
};

export type SubscribeMsgPopupItem = { TemplateId: string; SubscribeStatusString: string; PopupScene: string };
export type SubscribeMsgChangeItem = { TemplateId: string; SubscribeStatusString: string };
export type SubscribeMsgSentItem = { TemplateId: string; MsgID: string; ErrorCode: string; ErrorStatus: string };

export type SubscribeMsgPopupEvent = EventMessage & {
  Event: 'subscribe_msg_popup_event';
  SubscribeMsgPopupEvent: { List: SubscribeMsgPopupItem[] };
};

export type SubscribeMsgChangeEvent = EventMessage & {
  Event: 'subscribe_msg_change_event';
  SubscribeMsgChangeEvent: { List: SubscribeMsgChangeItem[] };
};

export type SubscribeMsgSentEvent = EventMessage & {
  Event: 'subscribe_msg_sent_event';
  SubscribeMsgSentEvent: { List: SubscribeMsgSentItem[] };
};

export type VerifyEvent = EventMessage & {
  Event:
    | 'qualification_verify_success'
    | 'qualification_verify_fail'
    | 'naming_verify_success'
    | 'naming_verify_fail'
    | 'annual_renew'
    | 'verify_expired';
  ExpiredTime?: string;
  FailTime?: string;
  FailReason?: string;
};

export type UserEnterTempsessionEvent = EventMessage & {
  Event: 'user_enter_tempsession';
  SessionFrom?: string;
};

export type KfSessionEvent = EventMessage & {
  Event: 'kf_create_session' | 'kf_close_session' | 'kf_switch_session';
  KfAccount?: string;
  FromKfAccount?: string;
  ToKfAccount?: string;
};

export type CardEventName =
  | 'card_pass_check'
  | 'card_not_pass_check'
  | 'user_get_card'
  | 'user_gifting_card'
  | 'user_del_card'
  | 'user_consume_card'
  | 'user_pay_from_pay_cell'
  | 'user_view_card'
  | 'user_enter_session_from_card'
  | 'update_member_card'
  | 'card_sku_remind'
  | 'card_pay_order'
  | 'submit_membercard_user_info';

/** Card events share CardId (all but card_pay_order) and UserCardCode (the user's events). */
export type CardEvent = EventMessage & {
  Event: CardEventName;
  CardId?: string;
  UserCardCode?: string;
};

export type PoiCheckNotifyEvent = EventMessage & {
  Event: 'poi_check_notify';
  UniqId: string;
  PoiId: string;
  Result: string;
  Msg: string;
};

export type MerchantOrderEvent = EventMessage & {
  Event: 'merchant_order';
  OrderId: string;
  OrderStatus: string;
  ProductId: string;
  SkuInfo: string;
};

export type WifiConnectedEvent = EventMessage & {
  Event: 'WifiConnected';
  ConnectTime: string;
  ExpireTime: string;
  VendorId: string;
  ShopId: string;
  DeviceNo: string;
};

export type Beacon = { Uuid: string; Major: string; Minor: string; Distance: string };

export type ShakearoundUserShakeEvent = EventMessage & {
  Event: 'ShakearoundUserShake';
  ChosenBeacon: Beacon;
  AroundBeacons?: { AroundBeacon: Beacon[] } | '';
};

export type KnownEvent =
  | SubscribeEvent
  | UnsubscribeEvent
  | ScanEvent
  | LocationEvent
  | ClickEvent
  | ViewEvent
  | ScancodeEvent
  | PicEvent
  | LocationSelectEvent
  | ViewMiniprogramEvent
  | TemplateSendJobFinishEvent
  | MassSendJobFinishEvent
  | PublishJobFinishEvent
  | SubscribeMsgPopupEvent
  | SubscribeMsgChangeEvent
  | SubscribeMsgSentEvent
  | VerifyEvent
  | UserEnterTempsessionEvent
  | KfSessionEvent
  | CardEvent
  | PoiCheckNotifyEvent
  | MerchantOrderEvent
  | WifiConnectedEvent
  | ShakearoundUserShakeEvent;

export type KnownMessage =
  | TextMessage
  | ImageMessage
  | VoiceMessage
  | VideoMessage
  | ShortVideoMessage
  | LocationMessage
  | LinkMessage
  | FileMessage
  | KnownEvent;

/** A MsgType or Event that is not in the lists (or an event without Event): kept whole. */
export type UnknownMessage = BaseMessage & {
  Event?: string;
};

export type WeChatMessage = KnownMessage | UnknownMessage;

// Compile-time check that every listed event has an interface in KnownEvent (and no more).
type Exact<A, B> = [A] extends [B] ? ([B] extends [A] ? true : never) : never;
const EVENTS_ARE_TYPED: Exact<KnownEvent['Event'], EventName> = true;
void EVENTS_ARE_TYPED;

/** Any event push, known or not. */
export function isEvent(m: WeChatMessage): m is EventMessage & WeChatMessage {
  return m.MsgType === 'event' && typeof m.Event === 'string';
}

// Distributive narrowing: an interface that covers several names (PicEvent covers pic_sysphoto,
// pic_photo_or_album and pic_weixin) is kept for each of them, with the name pinned.
type NarrowEvent<K, E extends string> = K extends { Event: infer N } ? (E extends N ? K & { Event: E } : never) : never;
type NarrowMessage<K, T extends string> = K extends { MsgType: infer N } ? (T extends N ? K & { MsgType: T } : never) : never;
export type MessageOf<T extends Exclude<MessageType, 'event'>> = NarrowMessage<KnownMessage, T>;
export type EventOf<E extends EventName> = NarrowEvent<KnownEvent, E>;

/** Narrows to the type of one ordinary message type: `if (isMessageOf(m, 'text')) m.Content`. */
export function isMessageOf<T extends Exclude<MessageType, 'event'>>(m: WeChatMessage, type: T): m is MessageOf<T> {
  return m.MsgType === type;
}

/** Narrows to the type of one listed event: `if (isEventOf(m, 'LOCATION')) m.Latitude`. */
export function isEventOf<E extends EventName>(m: WeChatMessage, name: E): m is EventOf<E> {
  return m.MsgType === 'event' && m.Event === name;
}

// ---------------------------------------------------------------------------------------------

const DIGITS_RE = /^[0-9]{1,20}$/;
const COMMON_FIELDS = ['ToUserName', 'FromUserName', 'CreateTime', 'MsgType'] as const;

/** The parsed record, typed, once the fields every push carries are there. No copy. */
export function toMessage(record: XmlRecord): WeChatMessage {
  for (const field of COMMON_FIELDS) {
    const value = record[field];
    if (typeof value !== 'string' || value === '') {
      throw new XmlError('xml_not_message', `${field} is missing or not text`);
    }
  }
  if (!DIGITS_RE.test(record.CreateTime as string)) {
    throw new XmlError('xml_not_message', 'CreateTime is not a number of seconds');
  }
  return record as WeChatMessage;
}

// ---------------------------------------------------------------------------------------------
// Dedup key: the BullMQ job id of the inbound job. WeChat's advice: MsgId for messages,
// FromUserName + CreateTime for events. BullMQ refuses ids with ':' and all-digit ids, and the
// key is stored in Redis for every job, so it is short, prefixed and made of [A-Za-z0-9_-].

const SAFE_SEGMENT_RE = /^[A-Za-z0-9_-]{1,64}$/;

function sha1Hex(text: string): string {
  return hash('sha1', text, 'hex');
}

/** `value` itself when it is short and made of safe characters, otherwise `h` + 20 hex of its sha1. */
function safeSegment(value: string): string {
  return SAFE_SEGMENT_RE.test(value) ? value : `h${sha1Hex(value).slice(0, 20)}`;
}

/** Readable in logs: unsafe characters (':' above all) become '_'; an overlong appid is hashed. */
function safeAppid(appid: string): string {
  const cleaned = appid.replace(/[^A-Za-z0-9_-]/g, '_');
  return cleaned.length > 0 && cleaned.length <= 64 ? cleaned : `h${sha1Hex(appid).slice(0, 20)}`;
}

function text(value: XmlValue | undefined): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/**
 * `m_<appid>_<MsgId>` for messages; `e_<appid>_<CreateTime>_<hash>` for events and anything
 * without a MsgId, the hash over FromUserName, Event (or MsgType), EventKey and the job MsgID
 * that template/mass-send reports carry (two such reports can share a user and a second).
 */
export function dedupKey(appid: string, message: WeChatMessage): string {
  const app = safeAppid(appid);
  const msgId = text(message.MsgId);
  if (msgId !== undefined) return `m_${app}_${safeSegment(msgId)}`;
  const kind = message.MsgType === 'event' ? `event=${text(message.Event) ?? ''}` : `type=${message.MsgType}`;
  const digest = sha1Hex(
    [message.FromUserName, kind, text(message.EventKey) ?? '', text(message.MsgID) ?? ''].join('\n'),
  ).slice(0, 20);
  return `e_${app}_${safeSegment(message.CreateTime)}_${digest}`;
}

export interface MessageSummary {
  openid: string;
  stamp: number;
  msgType: string;
  event?: string;
  eventKey?: string;
  msgId?: string;
}

/** The fields every log line about this message carries (see DESIGN: layer logs). */
export function messageSummary(m: WeChatMessage): MessageSummary {
  const summary: MessageSummary = { openid: m.FromUserName, stamp: Number(m.CreateTime), msgType: m.MsgType };
  const event = text(m.Event);
  if (event !== undefined) summary.event = event;
  const eventKey = text(m.EventKey);
  if (eventKey !== undefined) summary.eventKey = eventKey;
  const msgId = text(m.MsgId) ?? text(m.MsgID);
  if (msgId !== undefined) summary.msgId = msgId;
  return summary;
}
