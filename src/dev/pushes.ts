// Builds pushes exactly as WeChat sends them: the query string (signature, timestamp, nonce,
// openid, and in safe/compatibility mode encrypt_type + msg_signature) and the XML body.
// Used by the simulator, the benchmarks and the tests, so all of them sign the same way.
import { randomBytes } from 'node:crypto';
import { createMessageCipher } from '../wechat/cipher.js';
import { sha1Signature } from '../wechat/signature.js';
import { buildXml, type XmlRecord } from '../wechat/xml.js';

export type PushMode = 'plain' | 'compat' | 'aes';

export interface PushAccount {
  readonly appid: string;
  readonly token: string;
  readonly encodingAESKey?: string;
}

export interface BuiltPush {
  /** Path and query, e.g. `/wechat/wx123?signature=…`. */
  readonly path: string;
  readonly query: Record<string, string>;
  readonly body: string;
}

export interface BuildPushOptions {
  mode?: PushMode;
  basePath?: string;
  timestamp?: string;
  nonce?: string;
  /** Fixed 16 random bytes for reproducible ciphertexts. */
  random?: Buffer;
}

export function buildPush(account: PushAccount, message: XmlRecord, { mode = 'plain', basePath = '/wechat', timestamp = String(Math.floor(Date.now() / 1000)), nonce = randomBytes(5).toString('hex'), random }: BuildPushOptions = {}): BuiltPush {
  const openid = typeof message.FromUserName === 'string' ? message.FromUserName : '';
  const query: Record<string, string> = { signature: sha1Signature([account.token, timestamp, nonce]), timestamp, nonce, openid };
  let body = buildXml(message);
  if (mode !== 'plain') {
    if (!account.encodingAESKey) throw new Error(`mode ${mode} needs the account's encodingAESKey`);
    const cipher = createMessageCipher({ appid: account.appid, encodingAESKey: account.encodingAESKey });
    const encrypt = cipher.encrypt(body, random);
    query.encrypt_type = 'aes';
    query.msg_signature = sha1Signature([account.token, timestamp, nonce, encrypt]);
    const envelope: XmlRecord = mode === 'compat' ? { ...message, Encrypt: encrypt } : { ToUserName: String(message.ToUserName ?? ''), Encrypt: encrypt };
    body = buildXml(envelope);
  }
  return { path: `${basePath}?${new URLSearchParams(query)}`, query, body };
}

export interface TextSpec {
  openid: string;
  content: string;
  msgId: string;
  toUser?: string;
  createTime?: number;
}

export function textMessage({ openid, content, msgId, toUser = 'gh_wxgate', createTime = Math.floor(Date.now() / 1000) }: TextSpec): XmlRecord {
  return { ToUserName: toUser, FromUserName: openid, CreateTime: String(createTime), MsgType: 'text', Content: content, MsgId: msgId };
}

export interface EventSpec {
  openid: string;
  event: string;
  eventKey?: string;
  toUser?: string;
  createTime?: number;
}

export function eventMessage({ openid, event, eventKey, toUser = 'gh_wxgate', createTime = Math.floor(Date.now() / 1000) }: EventSpec): XmlRecord {
  const m: XmlRecord = { ToUserName: toUser, FromUserName: openid, CreateTime: String(createTime), MsgType: 'event', Event: event };
  if (eventKey !== undefined) m.EventKey = eventKey;
  return m;
}
