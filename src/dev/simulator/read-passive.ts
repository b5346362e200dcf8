// Reads a passive reply as WeChat would (issue 17): in safe and compatibility mode the answer is an
// envelope whose MsgSignature must be sha1(Token, TimeStamp, Nonce, Encrypt) and whose Encrypt
// must decrypt, with this account's key and appid, to the reply XML; the reply must be addressed
// to the user who sent the push. What it says is summed up for a person: type and text.
import { WxgateError } from '../../errors.js';
import { createMessageCipher } from '../../wechat/cipher.js';
import { safeEqual, sha1Signature } from '../../wechat/signature.js';
import { parseXml, type XmlRecord } from '../../wechat/xml.js';

export interface PassiveReading {
  /** Signature, decryption and address all as WeChat expects. */
  readonly ok: boolean;
  readonly encrypted: boolean;
  readonly msgType?: string;
  /** The text, or the media id, title or first article of the others. */
  readonly says?: string;
  /** Why it is not ok. */
  readonly problem?: string;
}

export interface ReadPassiveAccount {
  readonly appid: string;
  readonly token: string;
  readonly aesKey?: string;
}

const str = (v: unknown) => (typeof v === 'string' ? v : undefined);

function gist(x: XmlRecord): string | undefined {
  const inner = (name: string) => (typeof x[name] === 'object' && !Array.isArray(x[name]) ? (x[name] as XmlRecord) : undefined);
  const items = inner('Articles')?.item;
  const firstItem = Array.isArray(items) ? (items[0] as XmlRecord | undefined) : undefined;
  return str(x.Content) ?? str(inner('Image')?.MediaId) ?? str(inner('Voice')?.MediaId) ?? str(inner('Video')?.Title) ?? str(inner('Video')?.MediaId) ?? str(inner('Music')?.Title) ?? str(firstItem?.Title);
}

export function readPassiveAnswer(body: string, account: ReadPassiveAccount, { openid }: { openid?: string } = {}): PassiveReading {
  let outer: XmlRecord;
  try {
    outer = parseXml(body);
  } catch (err) {
    return { ok: false, encrypted: false, problem: `not XML (${err instanceof WxgateError ? err.code : (err as Error).message})` };
  }
  const encrypt = str(outer.Encrypt);
  let reply = outer;
  if (encrypt !== undefined) {
    const [timestamp, nonce, signature] = [str(outer.TimeStamp), str(outer.Nonce), str(outer.MsgSignature)];
    if (!timestamp || !nonce || !signature) return { ok: false, encrypted: true, problem: 'MsgSignature, TimeStamp or Nonce missing' };
    if (!safeEqual(sha1Signature([account.token, timestamp, nonce, encrypt]), signature)) return { ok: false, encrypted: true, problem: 'MsgSignature does not match' };
    if (!account.aesKey) return { ok: false, encrypted: true, problem: 'encrypted, but no EncodingAESKey to read it with' };
    try {
      reply = parseXml(createMessageCipher({ appid: account.appid, encodingAESKey: account.aesKey }).decrypt(encrypt));
    } catch (err) {
      return { ok: false, encrypted: true, problem: `does not decrypt (${err instanceof WxgateError ? err.code : (err as Error).message})` };
    }
  }
  const msgType = str(reply.MsgType);
  const says = gist(reply);
  if (!msgType) return { ok: false, encrypted: encrypt !== undefined, problem: 'no MsgType' };
  if (openid !== undefined && reply.ToUserName !== openid) return { ok: false, encrypted: encrypt !== undefined, msgType, says, problem: `addressed to ${String(reply.ToUserName)}, not the sender` };
  return { ok: true, encrypted: encrypt !== undefined, msgType, says };
}

/** One line: `text "echo: hi" (encrypted: signature ok, decrypted)`. */
export function describePassive(r: PassiveReading): string {
  const what = `${r.msgType ?? '?'}${r.says !== undefined ? ` ${JSON.stringify(r.says.length > 80 ? `${r.says.slice(0, 80)}…` : r.says)}` : ''}`;
  if (!r.ok) return `${r.msgType ? `${what} ` : ''}— WeChat would refuse it: ${r.problem}`;
  return `${what} (${r.encrypted ? 'encrypted: signature ok, decrypted' : 'plaintext'})`;
}
