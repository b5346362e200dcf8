// verify → mode check → decrypt → parse for one POST, without HTTP or Redis: the receiver's
// protocol work. Plaintext mode: `signature` over (token, timestamp, nonce). Safe and
// compatibility mode (`encrypt_type=aes`): `msg_signature` over (token, timestamp, nonce,
// Encrypt), then decrypt.
// https://developers.weixin.qq.com/doc/offiaccount/Message_Management/Message_encryption_and_decryption_instructions.html
import { performance } from 'node:perf_hooks';
import type { MessageMode } from '../config.js';
import { DecryptError, RequestError, VerificationError } from '../errors.js';
import { verifySignature, type SignatureInput } from '../wechat/signature.js';
import { parseXml, readEncryptCandidates } from '../wechat/xml.js';
import { dedupKey, toMessage, type WeChatMessage } from '../wechat/messages.js';
import type { RegisteredApp } from './app-registry.js';

export type PushQuery = Readonly<Record<string, string | undefined>>;

/** How a push came: `aes` (safe or compatibility mode: Encrypt + msg_signature) or `plain`. */
export type WireMode = 'plain' | 'aes';

export interface ReadPush {
  readonly mode: WireMode;
  readonly message: WeChatMessage;
  /** The message's XML as WeChat wrote it: the body, or in `aes` mode the decrypted plaintext. */
  readonly xml: string;
  readonly dedupKey: string;
  /** Milliseconds per step, for the receive log line. */
  readonly steps: { verify: number; decrypt?: number; parse: number };
}

export interface ReadPushOptions {
  nowS?: number;
  toleranceS?: number;
}

const ms = (from: number) => Math.round((performance.now() - from) * 1000) / 1000;

export const pushMode = (query: PushQuery): WireMode => (query.encrypt_type === 'aes' ? 'aes' : 'plain');

/**
 * Refuses a push the account does not accept. `signature` covers only (token, timestamp,
 * nonce): a safe-mode URL, stripped of encrypt_type and msg_signature, would carry any
 * plaintext body (issue 14). Checked after the signature, so only a signed request learns why.
 */
function checkMode(accepted: MessageMode, mode: WireMode): void {
  if (mode === 'aes' ? accepted !== 'plain' : accepted !== 'safe') return;
  throw new RequestError('mode_not_accepted', mode === 'aes' ? 'encrypted push refused: this account accepts plaintext only' : 'plaintext push refused: this account accepts encrypted pushes only');
}

/** The Encrypt candidate msg_signature covers; a candidate that is signed but stale or malformed fails as such. */
function signedCandidate(candidates: readonly string[], input: Omit<SignatureInput, 'encrypt'>, options: ReadPushOptions): string {
  let mismatch: unknown;
  for (const encrypt of candidates) {
    try {
      verifySignature({ ...input, encrypt }, options);
      return encrypt;
    } catch (err) {
      if (!(err instanceof VerificationError) || err.code !== 'signature_mismatch') throw err;
      mismatch ??= err;
    }
  }
  throw mismatch;
}

export function readPush(app: RegisteredApp, query: PushQuery, body: string, options: ReadPushOptions = {}): ReadPush {
  const { token, appid, mode: accepted } = app.config;
  const { timestamp, nonce } = query;
  let t = performance.now();
  if (pushMode(query) === 'plain') {
    verifySignature({ token, timestamp, nonce, signature: query.signature }, options);
    checkMode(accepted, 'plain');
    const verify = ms(t);
    t = performance.now();
    const message = toMessage(parseXml(body));
    return { mode: 'plain', message, xml: body, dedupKey: dedupKey(appid, message), steps: { verify, parse: ms(t) } };
  }
  const candidates = readEncryptCandidates(body);
  if (candidates.length === 0) throw new DecryptError('encrypt_missing', 'encrypt_type=aes but the body has no Encrypt element');
  const encrypt = signedCandidate(candidates, { token, timestamp, nonce, signature: query.msg_signature }, options);
  checkMode(accepted, 'aes');
  const verify = ms(t);
  if (!app.cipher) throw new DecryptError('aes_key_invalid', 'encrypted push but no EncodingAESKey is configured for this account');
  t = performance.now();
  const plaintext = app.cipher.decrypt(encrypt);
  const decrypt = ms(t);
  t = performance.now();
  const message = toMessage(parseXml(plaintext));
  return { mode: 'aes', message, xml: plaintext, dedupKey: dedupKey(appid, message), steps: { verify, decrypt, parse: ms(t) } };
}
