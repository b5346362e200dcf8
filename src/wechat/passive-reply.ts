// The passive reply (被动回复): the answer to a push that carries a message back to the user, for
// the six types WeChat allows there (text, image, voice, video, music, news). The handler's reply
// is the customer-service JSON (src/worker/replies.ts); this turns it into WeChat's reply XML, with
// ToUserName and FromUserName swapped from the push, and wraps it for safe and compatibility mode
// (Encrypt, MsgSignature, TimeStamp, Nonce; msg_signature as for pushes).
// https://developers.weixin.qq.com/doc/offiaccount/Message_Management/Passive_user_reply_message.html
// https://developers.weixin.qq.com/doc/offiaccount/Message_Management/Message_encryption_and_decryption_instructions.html
// Element order and the bare CreateTime follow WeChat's samples; test/wechat/passive-reply.test.ts
// pins the builder on the official encrypted video reply.
import type { Reply } from '../worker/replies.js';
import type { MessageCipher } from './cipher.js';
import { sha1Signature } from './signature.js';
import { buildEncryptedEnvelope } from './xml.js';

/** The reply types a passive reply can carry; the others go through customer service or not at all. */
export const PASSIVE_MSGTYPES = ['text', 'image', 'voice', 'video', 'music', 'news'] as const;
export type PassiveMsgType = (typeof PASSIVE_MSGTYPES)[number];
export type PassiveReply = Extract<Reply, { msgtype: PassiveMsgType }>;

export const isPassiveReply = (r: Reply): r is PassiveReply => (PASSIVE_MSGTYPES as readonly string[]).includes(r.msgtype);

export interface PassiveAddress {
  /** The user: the push's FromUserName (the openid). */
  readonly toUser: string;
  /** The account: the push's ToUserName (its original id, gh_…). */
  readonly fromUser: string;
  /** Seconds. */
  readonly createTime: number;
}

/** CDATA that survives a `]]>` inside the value (split across two sections). */
const cdata = (v: string) => `<![CDATA[${v.replaceAll(']]>', ']]]]><![CDATA[>')}]]>`;
const el = (name: string, value: string | undefined) => (value === undefined ? '' : `<${name}>${cdata(value)}</${name}>`);

function body(r: PassiveReply): string {
  switch (r.msgtype) {
    case 'text':
      return el('Content', r.text.content);
    case 'image':
      return `<Image>${el('MediaId', r.image.media_id)}</Image>`;
    case 'voice':
      return `<Voice>${el('MediaId', r.voice.media_id)}</Voice>`;
    case 'video':
      return `<Video>${el('MediaId', r.video.media_id)}${el('Title', r.video.title)}${el('Description', r.video.description)}</Video>`;
    case 'music': {
      const m = r.music;
      return `<Music>${el('Title', m.title)}${el('Description', m.description)}${el('MusicUrl', m.musicurl)}${el('HQMusicUrl', m.hqmusicurl)}${el('ThumbMediaId', m.thumb_media_id)}</Music>`;
    }
    case 'news': {
      const items = r.news.articles.map((a) => `<item>${el('Title', a.title)}${el('Description', a.description)}${el('PicUrl', a.picurl)}${el('Url', a.url)}</item>`);
      return `<ArticleCount>${items.length}</ArticleCount><Articles>${items.join('')}</Articles>`;
    }
  }
}

/** WeChat's reply XML for one reply. */
export function buildPassiveReply(reply: PassiveReply, { toUser, fromUser, createTime }: PassiveAddress): string {
  return `<xml>${el('ToUserName', toUser)}${el('FromUserName', fromUser)}<CreateTime>${createTime}</CreateTime>${el('MsgType', reply.msgtype)}${body(reply)}</xml>`;
}

export interface EnvelopeSecrets {
  /** The account's Token (msg_signature's secret). */
  readonly token: string;
  /** The account's cipher: encrypts with its current EncodingAESKey. */
  readonly cipher: Pick<MessageCipher, 'encrypt'>;
  /** Seconds, as a string of digits. */
  readonly timestamp: string;
  readonly nonce: string;
  /** Fixed only by tests (the official sample's "aaaabbbbccccdddd"). */
  readonly random?: Buffer;
}

/** The safe-mode answer: the reply XML encrypted, signed over (Token, TimeStamp, Nonce, Encrypt). */
export function encryptPassiveReply(xml: string, { token, cipher, timestamp, nonce, random }: EnvelopeSecrets): string {
  const encrypt = cipher.encrypt(xml, random);
  return buildEncryptedEnvelope({ encrypt, msgSignature: sha1Signature([token, timestamp, nonce, encrypt]), timestamp, nonce });
}
