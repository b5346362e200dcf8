// The body of a passive answer: the reply XML, addressed back to the push's sender, and in safe
// and compatibility mode (the push came with encrypt_type=aes) encrypted with the account's
// current key and signed, as WeChat expects of a reply to an encrypted push.
import type { WeChatMessage } from '../wechat/messages.js';
import { buildPassiveReply, encryptPassiveReply, type PassiveReply } from '../wechat/passive-reply.js';
import type { RegisteredApp } from './app-registry.js';
import type { WireMode } from './read-push.js';

export interface PassiveAnswerInput {
  readonly app: RegisteredApp;
  readonly message: WeChatMessage;
  readonly reply: PassiveReply;
  readonly wire: WireMode;
  /** The push's nonce, used again for the reply's signature. */
  readonly nonce: string;
  readonly nowS: number;
}

export function passiveAnswer({ app, message, reply, wire, nonce, nowS }: PassiveAnswerInput): string {
  const xml = buildPassiveReply(reply, { toUser: message.FromUserName, fromUser: message.ToUserName, createTime: nowS });
  if (wire === 'plain' || !app.cipher) return xml;
  return encryptPassiveReply(xml, { token: app.config.token, cipher: app.cipher, timestamp: String(nowS), nonce });
}
