// verify → decrypt → parse for one POST, without HTTP or Redis: the receiver's protocol work.
// Plaintext mode: `signature` over (token, timestamp, nonce). Safe and compatibility mode
// (`encrypt_type=aes`): `msg_signature` over (token, timestamp, nonce, Encrypt), then decrypt.
// https://developers.weixin.qq.com/doc/offiaccount/Message_Management/Message_encryption_and_decryption_instructions.html
import { performance } from 'node:perf_hooks';
import { DecryptError } from '../errors.js';
import { verifySignature } from '../wechat/signature.js';
import { parseXml, readEncryptField } from '../wechat/xml.js';
import { dedupKey, toMessage, type WeChatMessage } from '../wechat/messages.js';
import type { RegisteredApp } from './app-registry.js';

export type PushQuery = Readonly<Record<string, string | undefined>>;

export interface ReadPush {
  readonly mode: 'plain' | 'aes';
  readonly message: WeChatMessage;
  readonly dedupKey: string;
  /** Milliseconds per step, for the receive log line. */
  readonly steps: { verify: number; decrypt?: number; parse: number };
}

export interface ReadPushOptions {
  nowS?: number;
  toleranceS?: number;
}

const ms = (from: number) => Math.round((performance.now() - from) * 1000) / 1000;

export function readPush(app: RegisteredApp, query: PushQuery, body: string, options: ReadPushOptions = {}): ReadPush {
  const { token, appid } = app.config;
  const { timestamp, nonce } = query;
  let t = performance.now();
  if (query.encrypt_type !== 'aes') {
    verifySignature({ token, timestamp, nonce, signature: query.signature }, options);
    const verify = ms(t);
    t = performance.now();
    const message = toMessage(parseXml(body));
    return { mode: 'plain', message, dedupKey: dedupKey(appid, message), steps: { verify, parse: ms(t) } };
  }
  const encrypt = readEncryptField(body);
  if (!encrypt) throw new DecryptError('encrypt_missing', 'encrypt_type=aes but the body has no Encrypt element');
  verifySignature({ token, timestamp, nonce, signature: query.msg_signature, encrypt }, options);
  const verify = ms(t);
  if (!app.cipher) throw new DecryptError('aes_key_invalid', 'encrypted push but no EncodingAESKey is configured for this account');
  t = performance.now();
  const plaintext = app.cipher.decrypt(encrypt);
  const decrypt = ms(t);
  t = performance.now();
  const message = toMessage(parseXml(plaintext));
  return { mode: 'aes', message, dedupKey: dedupKey(appid, message), steps: { verify, decrypt, parse: ms(t) } };
}
