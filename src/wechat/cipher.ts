// WXBizMsgCrypt: the safe/compat-mode payload cipher.
// https://developers.weixin.qq.com/doc/subscription/guide/dev/push/encryption.html
// https://developers.weixin.qq.com/doc/oplatform/Third-party_Platforms/2.0/api/Before_Develop/message_push.html
//
//   AESKey    = base64(EncodingAESKey + '=')           32 bytes; IV = AESKey[0..16)
//   FullStr   = random(16) ‖ msg_len (u32 BE) ‖ msg ‖ appid
//   Encrypt   = base64(AES-256-CBC(PKCS#7 padded to a multiple of 32 bytes, pad byte 1..32))
//
// The padding block is 32 bytes, not AES's 16: Node's auto padding would reject every message
// whose pad is 17..32 (about half of them), so padding is switched off and checked by hand.
//
// Decrypt only after the msg_signature check (signature.ts): the distinct error codes below
// would otherwise make a padding oracle; with the signature first, only WeChat reaches them.
import { createCipheriv, createDecipheriv, randomBytes, type Decipher } from 'node:crypto';
import { DecryptError, type DecryptCode } from '../errors.js';

const BLOCK = 32;
const RANDOM_BYTES = 16;
const HEADER_BYTES = RANDOM_BYTES + 4;
// The console generates 43 characters of [A-Za-z0-9]; accept the whole base64 alphabet.
const ENCODING_AES_KEY_RE = /^[A-Za-z0-9+/]{43}$/;

export interface MessageCipher {
  /** Base64 ciphertext of `plaintext`; `random` (16 bytes) is fixed only by tests. */
  encrypt(plaintext: string, random?: Buffer): string;
  /** The msg of a base64 ciphertext, or a DecryptError naming the first check that failed. */
  decrypt(encrypted: string): string;
}

export interface MessageCipherOptions {
  appid: string;
  encodingAESKey: string;
  /** The key before the last rotation in the MP console, still accepted for decryption. */
  previousKey?: string;
}

export function decodeAESKey(encodingAESKey: string): Buffer {
  if (typeof encodingAESKey !== 'string' || !ENCODING_AES_KEY_RE.test(encodingAESKey)) {
    throw new DecryptError('aes_key_invalid', 'EncodingAESKey must be 43 base64 characters');
  }
  // 43 characters carry 258 bits; the last 2 are dropped (the official samples' keys have them set).
  const key = Buffer.from(`${encodingAESKey}=`, 'base64');
  if (key.length !== 32) {
    throw new DecryptError('aes_key_invalid', 'EncodingAESKey must decode to 32 bytes');
  }
  return key;
}

// Failures that mean "not this key": worth a try with the previous key after a rotation.
const KEY_DEPENDENT: ReadonlySet<DecryptCode> = new Set(['padding_invalid', 'length_invalid', 'appid_mismatch']);

export function createMessageCipher({ appid, encodingAESKey, previousKey }: MessageCipherOptions): MessageCipher {
  const appidBytes = Buffer.from(appid, 'utf8');
  const current = decodeAESKey(encodingAESKey);
  const decryptCurrent = frameDecryptor(current, appidBytes);
  const decryptPrevious = previousKey ? frameDecryptor(decodeAESKey(previousKey), appidBytes) : undefined;

  return {
    encrypt(plaintext, random = randomBytes(RANDOM_BYTES)) {
      return encryptWithKey(current, appidBytes, plaintext, random);
    },
    decrypt(encrypted) {
      const ciphertext = decodeCiphertext(encrypted);
      try {
        return decryptCurrent(ciphertext);
      } catch (err) {
        if (!decryptPrevious || !(err instanceof DecryptError) || !KEY_DEPENDENT.has(err.code)) throw err;
        try {
          return decryptPrevious(ciphertext);
        } catch {
          throw err; // the current key's reason is the one worth logging
        }
      }
    },
  };
}

function encryptWithKey(key: Buffer, appid: Buffer, plaintext: string, random: Buffer): string {
  if (random.length !== RANDOM_BYTES) throw new RangeError(`random must be ${RANDOM_BYTES} bytes`);
  const msg = Buffer.from(plaintext, 'utf8');
  const length = Buffer.allocUnsafe(4);
  length.writeUInt32BE(msg.length, 0);
  const unpadded = HEADER_BYTES + msg.length + appid.length;
  const pad = BLOCK - (unpadded % BLOCK); // 1..32: a full block when already aligned
  const full = Buffer.concat([random, length, msg, appid, Buffer.alloc(pad, pad)]);
  const cipher = createCipheriv('aes-256-cbc', key, key.subarray(0, 16));
  cipher.setAutoPadding(false);
  return Buffer.concat([cipher.update(full), cipher.final()]).toString('base64');
}

/**
 * Strict base64: Buffer.from skips characters outside the alphabet and tolerates missing
 * padding, so a re-encode must give back exactly the input (this also refuses whitespace,
 * base64url and non-zero trailing bits).
 */
function decodeCiphertext(encrypted: string): Buffer {
  const bytes = Buffer.from(encrypted, 'base64');
  if (bytes.toString('base64') !== encrypted) {
    throw new DecryptError('base64_invalid', 'Encrypt is not canonical base64');
  }
  if (bytes.length === 0 || bytes.length % 16 !== 0) {
    throw new DecryptError('ciphertext_length_invalid', 'ciphertext must be a non-empty multiple of 16 bytes');
  }
  return bytes;
}

/**
 * AES-256-CBC decryption of whole FullStr frames with one Decipher per key, kept for the life
 * of the cipher: making a Decipher per push was the larger part of what safe mode costs more
 * than plaintext (issue 2: safe mode ≥ 0.9× plaintext). A kept CBC Decipher chains from the
 * previous frame's last ciphertext block instead of the IV, which changes only the first 16
 * output bytes (block i is D(C_i) XOR C_(i-1) for every i > 0): FullStr's random prefix, which
 * a frame that passes every check never reads (msg_len starts at byte 16, and random, msg_len,
 * appid and padding make a passing frame ≥ 22 bytes, so ≥ 32 in whole blocks: its last byte
 * and pad lie past the first block). A frame that fails a check is decrypted again from
 * the IV, so every error code is exactly what a fresh Decipher gives. With padding off and
 * whole blocks in (decodeCiphertext), update() holds nothing back between frames.
 * test/wechat/cipher.test.ts decrypts the official vectors after other frames to pin this.
 */
function frameDecryptor(key: Buffer, appid: Buffer): (ciphertext: Buffer) => string {
  const iv = key.subarray(0, 16);
  const kept: Decipher = createDecipheriv('aes-256-cbc', key, iv).setAutoPadding(false);
  return (ciphertext) => {
    try {
      return readFullStr(kept.update(ciphertext), appid);
    } catch {
      const fresh = createDecipheriv('aes-256-cbc', key, iv).setAutoPadding(false);
      return readFullStr(Buffer.concat([fresh.update(ciphertext), fresh.final()]), appid);
    }
  };
}

/** The msg of FullStr = random(16) ‖ msg_len ‖ msg ‖ appid ‖ padding, after the strict checks. */
function readFullStr(full: Buffer, appid: Buffer): string {
  const content = full.subarray(0, full.length - padLength(full));
  if (content.length < HEADER_BYTES) {
    throw new DecryptError('length_invalid', 'plaintext shorter than random and msg_len');
  }
  const msgEnd = HEADER_BYTES + content.readUInt32BE(RANDOM_BYTES);
  if (msgEnd > content.length) {
    throw new DecryptError('length_invalid', 'msg_len exceeds the plaintext');
  }
  if (!content.subarray(msgEnd).equals(appid)) {
    throw new DecryptError('appid_mismatch', 'trailing appid is not this account');
  }
  return content.toString('utf8', HEADER_BYTES, msgEnd);
}

/** PKCS#7 over 32-byte blocks: the last byte n is 1..32 and the last n bytes all equal n. */
function padLength(full: Buffer): number {
  const pad = full[full.length - 1] ?? 0;
  if (pad < 1 || pad > BLOCK || pad > full.length) {
    throw new DecryptError('padding_invalid', 'pad byte outside 1..32');
  }
  for (let i = full.length - pad; i < full.length - 1; i++) {
    if (full[i] !== pad) throw new DecryptError('padding_invalid', 'pad bytes differ');
  }
  return pad;
}
