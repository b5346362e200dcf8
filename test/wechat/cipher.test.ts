import { createCipheriv, createDecipheriv } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { DecryptError } from '../../src/errors.js';
import { createMessageCipher, decodeAESKey } from '../../src/wechat/cipher.js';
import { sha1Signature } from '../../src/wechat/signature.js';
import { errorCode } from '../helpers/error-code.js';

// Known answers, all from WeChat's own material:
//  A. WXBizMsgCrypt Java sample, WXBizMsgCryptTest.testAesEncrypt/testAesEncrypt2 (cryptoDemo.zip):
//     EncodingAESKey abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG, AppID wxb11529c136998cb6,
//     random "aaaabbbbccccdddd" (the Token pamtest, timestamp 1409304348, nonce xxxxxx of that
//     test do not enter the ciphertext).
//  B. Third-party platform 消息推送 page (developers.weixin.qq.com/doc/oplatform/Third-party_Platforms/
//     2.0/api/Before_Develop/message_push.html): key of 43 'A's, AppID wx134c8103faa5a59e, a pushed
//     debug_demo event (random "1205899eaf019bbd", msg_len 292) and the encrypted reply
//     (random "999951349e8ee746", msg_len 52).
//  C. WXBizMsgCrypt Python Sample.py: Token spamtest, AppID wx2c2769f8efd9abc2, key as in A.
//  D. WXBizMsgCrypt Java sample testVerifyUrl (same sample in the 企业号 C#/PHP demos): Token QDG6eK,
//     key jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C, AppID wx5823bf96d3bd56c7, echostr.
const KEY_A = 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG';
const APPID_A = 'wxb11529c136998cb6';
const RANDOM_A = Buffer.from('aaaabbbbccccdddd');
const REPLY_A1 = '我是中文abcd123';
const CIPHER_A1 = 'jn1L23DB+6ELqJ+6bruv21Y6MD7KeIfP82D6gU39rmkgczbWwt5+3bnyg5K55bgVtVzd832WzZGMhkP72vVOfg==';
const REPLY_A2 =
  '<xml><ToUserName><![CDATA[oia2Tj我是中文jewbmiOUlr6X-1crbLOvLw]]></ToUserName><FromUserName><![CDATA[gh_7f083739789a]]></FromUserName><CreateTime>1407743423</CreateTime><MsgType><![CDATA[video]]></MsgType><Video><MediaId><![CDATA[eYJ1MbwPRJtOvIEabaxHs7TX2D-HV71s79GUxqdUkjm6Gs2Ed1KF3ulAOA9H1xG0]]></MediaId><Title><![CDATA[testCallBackReplyVideo]]></Title><Description><![CDATA[testCallBackReplyVideo]]></Description></Video></xml>';
const CIPHER_A2 =
  'jn1L23DB+6ELqJ+6bruv23M2GmYfkv0xBh2h+XTBOKVKcgDFHle6gqcZ1cZrk3e1qjPQ1F4RsLWzQRG9udbKWesxlkupqcEcW7ZQweImX9+wLMa0GaUzpkycA8+IamDBxn5loLgZpnS7fVAbExOkK5DYHBmv5tptA9tklE/fTIILHR8HLXa5nQvFb3tYPKAlHF3rtTeayNf0QuM+UW/wM9enGIDIJHF7CLHiDNAYxr+r+OrJCmPQyTy8cVWlu9iSvOHPT/77bZqJucQHQ04sq7KZI27OcqpQNSto2OdHCoTccjggX5Z9Mma0nMJBU+jLKJ38YB1fBIz+vBzsYjrTmFQ44YfeEuZ+xRTQwr92vhA9OxchWVINGC50qE/6lmkwWTwGX9wtQpsJKhP+oS7rvTY8+VdzETdfakjkwQ5/Xka042OlUb1/slTwo4RscuQ+RdxSGvDahxAJ6+EAjLt9d8igHngxIbf6YyqqROxuxqIeIch3CssH/LqRs+iAcILvApYZckqmA7FNERspKA5f8GoJ9sv8xmGvZ9Yrf57cExWtnX8aCMMaBropU/1k+hKP5LVdzbWCG0hGwx/dQudYR/eXp3P0XxjlFiy+9DMlaFExWUZQDajPkdPrEeOwofJb';

const KEY_B = 'A'.repeat(43);
const APPID_B = 'wx134c8103faa5a59e';
const PUSH_B =
  'D7yzvUNAL930rd28wf21s4hvXhz0L6Uit/p2Di6C5DHyYGpEgdBRnKjBec34JwoQXicwaZC7fOVihW80F4VtsdvE//1vr7oAbqjDv8KenVp+ajKYpJnyQ4zMRhIC+a31fCVOMC03FfzV/QuC94kBP55a+Za3sJgvAn+ZbsNqZI5DkyuzkhQN8OBqCzFhizGmy0xpM0MEA4agpvE+RuNO1rhHTtuJB5yltw1FiYzecSXJ+y/D2r81VkRn2eYjh2ltsoyfbDR7Is6ookXIFxTfyeNyeHxMeT4KN5WpCDmSbTcUYrbBUlkGLJ9n/rU8YOywma6G7aTb7KZKOqCxgfoUlYEZPk4FUL/TK7ShriFDMVCLyjQJ15Ob++agDWtcxhfUfe6HIoIpRW8mKNBQiY/Jd1svvuskA1wLef1RTtzKfMpagSCX/laZINmdnX4zrF6kIaR9P4xQrWXbsTFHTYe0Mg==';
const PUSH_B_MSG =
  '<xml><ToUserName><![CDATA[gh_97417a04a28d]]></ToUserName>\n' +
  '<FromUserName><![CDATA[o9AgO5Kd5ggOC-bXrbNODIiE3bGY]]></FromUserName>\n' +
  '<CreateTime>1715943329</CreateTime>\n' +
  '<MsgType><![CDATA[event]]></MsgType>\n' +
  '<Event><![CDATA[debug_demo]]></Event>\n' +
  '<debug_str><![CDATA[hello world]]></debug_str>\n' +
  '</xml>';
const REPLY_B_MSG = '<xml><demo_resp>[CDATA[good luck]]</demo_resp></xml>';
const REPLY_B = 'hE8R6mGXHkJJjU72KxzKUd1GEkKJaEZq7vRL8XgK3o+00k8JGq6+pZJUIlTSyhsX+bxIBQ72g3GyvDdIZcr6+3HAZbSvPT9t/o11MI7d6WELwqrGd7jMnV0zv3Zc9Nq7';

const APPID_C = 'wx2c2769f8efd9abc2';
const PUSH_C =
  'hyzAe4OzmOMbd6TvGdIOO6uBmdJoD0Fk53REIHvxYtJlE2B655HuD0m8KUePWB3+LrPXo87wzQ1QLvbeUgmBM4x6F8PGHQHFVAFmOD2LdJF9FrXpbUAh0B5GIItb52sn896wVsMSHGuPE328HnRGBcrS7C41IzDWyWNlZkyyXwon8T332jisa+h6tEDYsVticbSnyU8dKOIbgU6ux5VTjg3yt+WGzjlpKn6NPhRjpA912xMezR4kw6KWwMrCVKSVCZciVGCgavjIQ6X8tCOp3yZbGpy0VxpAe+77TszTfRd5RJSVO/HTnifJpXgCSUdUue1v6h0EIBYYI1BD1DlD+C0CR8e6OewpusjZ4uBl9FyJvnhvQl+q5rv1ixrcpCumEPo5MJSgM9ehVsNPfUM669WuMyVWQLCzpu9GhglF2PE=';
const PUSH_C_MSG =
  '<xml><ToUserName><![CDATA[gh_10f6c3c3ac5a]]></ToUserName>\n' +
  '<FromUserName><![CDATA[oyORnuP8q7ou2gfYjqLzSIWZf0rs]]></FromUserName>\n' +
  '<CreateTime>1409735668</CreateTime>\n' +
  '<MsgType><![CDATA[text]]></MsgType>\n' +
  '<Content><![CDATA[abcdteT]]></Content>\n' +
  '<MsgId>6054768590064713728</MsgId>\n' +
  '</xml>';

// Two keys for rotation and crafted buffers (any 43 base64 characters are a key).
const KEY_OLD = 'jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C';
const KEY_NEW = KEY_A;

/** AES-256-CBC over already padded bytes, with WeChat's IV: an independent way to craft inputs. */
function rawEncrypt(encodingAESKey: string, plain: Buffer): string {
  const key = Buffer.from(`${encodingAESKey}=`, 'base64');
  const cipher = createCipheriv('aes-256-cbc', key, key.subarray(0, 16));
  cipher.setAutoPadding(false);
  return Buffer.concat([cipher.update(plain), cipher.final()]).toString('base64');
}

function rawDecrypt(encodingAESKey: string, encrypted: string): Buffer {
  const key = Buffer.from(`${encodingAESKey}=`, 'base64');
  const decipher = createDecipheriv('aes-256-cbc', key, key.subarray(0, 16));
  decipher.setAutoPadding(false);
  return Buffer.concat([decipher.update(Buffer.from(encrypted, 'base64')), decipher.final()]);
}

/** random ‖ msg_len ‖ msg ‖ appid ‖ pad, with every part overridable to break one rule. */
function frame({ msg = 'hello', msgLen, appid = APPID_A, pad }: { msg?: string; msgLen?: number; appid?: string; pad?: Buffer }): Buffer {
  const body = Buffer.from(msg, 'utf8');
  const len = Buffer.alloc(4);
  len.writeUInt32BE(msgLen ?? body.length, 0);
  const unpadded = Buffer.concat([Buffer.alloc(16, 0x72), len, body, Buffer.from(appid, 'utf8')]);
  const n = 32 - (unpadded.length % 32);
  return Buffer.concat([unpadded, pad ?? Buffer.alloc(n, n)]);
}

const decryptCode = (fn: () => unknown) => errorCode(fn, DecryptError);

describe('decodeAESKey', () => {
  it('decodes EncodingAESKey + "=" to the 32-byte AES key', () => {
    const key = decodeAESKey(KEY_A);
    expect(key).toHaveLength(32);
    expect(key.equals(Buffer.from(`${KEY_A}=`, 'base64'))).toBe(true);
    expect(decodeAESKey(KEY_B).equals(Buffer.alloc(32))).toBe(true);
  });

  it.each([
    ['empty', ''],
    ['too short', KEY_A.slice(0, 42)],
    ['too long', `${KEY_A}H`],
    ['with padding', `${KEY_A.slice(0, 42)}=`],
    ['outside base64', `${KEY_A.slice(0, 42)}!`],
    ['with a space', ` ${KEY_A.slice(1)}`],
  ])('aes_key_invalid when %s', (_label, key) => {
    expect(decryptCode(() => decodeAESKey(key))).toBe('aes_key_invalid');
  });

  it('createMessageCipher refuses a bad current or previous key at creation', () => {
    expect(decryptCode(() => createMessageCipher({ appid: APPID_A, encodingAESKey: 'short' }))).toBe('aes_key_invalid');
    expect(decryptCode(() => createMessageCipher({ appid: APPID_A, encodingAESKey: KEY_A, previousKey: 'short' }))).toBe('aes_key_invalid');
  });
});

describe('official vectors', () => {
  it('A: encrypts with a fixed random exactly as the official Java sample', () => {
    const cipher = createMessageCipher({ appid: APPID_A, encodingAESKey: KEY_A });
    expect(cipher.encrypt(REPLY_A1, RANDOM_A)).toBe(CIPHER_A1);
    expect(cipher.encrypt(REPLY_A2, RANDOM_A)).toBe(CIPHER_A2);
    expect(cipher.decrypt(CIPHER_A1)).toBe(REPLY_A1);
    expect(cipher.decrypt(CIPHER_A2)).toBe(REPLY_A2);
  });

  it('B: decrypts the documented push, whose FullStr has the documented random and length', () => {
    const cipher = createMessageCipher({ appid: APPID_B, encodingAESKey: KEY_B });
    const msg = cipher.decrypt(PUSH_B);
    expect(msg).toBe(PUSH_B_MSG);
    expect(Buffer.byteLength(msg)).toBe(292);
    const full = rawDecrypt(KEY_B, PUSH_B);
    expect(full).toHaveLength(352); // "TmpMsg 字节长度为352"
    expect(full.subarray(0, 16).toString()).toBe('1205899eaf019bbd');
    expect(full.readUInt32BE(16)).toBe(292);
    expect(full[full.length - 1]).toBe(22); // 330 bytes of FullStr: a pad of 22 > 16, the case Node's auto padding refuses
  });

  it('B: encrypts the documented reply and its msg_signature matches', () => {
    const cipher = createMessageCipher({ appid: APPID_B, encodingAESKey: KEY_B });
    const encrypted = cipher.encrypt(REPLY_B_MSG, Buffer.from('999951349e8ee746'));
    expect(encrypted).toBe(REPLY_B);
    expect(Buffer.from(encrypted, 'base64')).toHaveLength(96); // "TmpMsg，字节大小为96"
    expect(sha1Signature(['AAAAA', '1713424427', '415670741', encrypted])).toBe('03e0812039325c2712ef5f0f980fd14c70d6e307');
  });

  it('C: decrypts the Python sample push to its XML, newlines and all', () => {
    const cipher = createMessageCipher({ appid: APPID_C, encodingAESKey: KEY_A });
    expect(cipher.decrypt(PUSH_C)).toBe(PUSH_C_MSG);
  });

  it('D: decrypts the sample echostr of the URL verification', () => {
    const echostr = 'P9nAzCzyDtyTWESHep1vC5X9xho/qYX3Zpb4yKa9SKld1DsH3Iyt3tP3zNdtp+4RPcs8TgAE7OaBO+FZXvnaqQ==';
    expect(sha1Signature(['QDG6eK', '1409659589', '263014780', echostr])).toBe('5c45ff5e21c57e6ad56bac8758b79b1d9ac89fd3');
    const cipher = createMessageCipher({ appid: 'wx5823bf96d3bd56c7', encodingAESKey: KEY_OLD });
    expect(cipher.decrypt(echostr)).toBe('1616140317555161061');
  });
});

describe('encrypt', () => {
  const cipher = createMessageCipher({ appid: APPID_A, encodingAESKey: KEY_A });

  it('round-trips every pad length 1..32, pads to 32-byte blocks, and always adds padding', () => {
    // header 16+4 and appid 18 bytes: msg lengths 0..31 walk the pad through all of 1..32
    const pads = new Set<number>();
    for (let n = 0; n < 64; n++) {
      const msg = 'x'.repeat(n);
      const encrypted = cipher.encrypt(msg, RANDOM_A);
      const full = rawDecrypt(KEY_A, encrypted);
      expect(full.length % 32).toBe(0);
      pads.add(full[full.length - 1]!);
      expect(cipher.decrypt(encrypted)).toBe(msg);
    }
    expect([...pads].sort((a, b) => a - b)).toEqual(Array.from({ length: 32 }, (_, i) => i + 1));
  });

  it('round-trips UTF-8 and the empty message', () => {
    for (const msg of ['', '你好，世界 🌏', '<xml><Content><![CDATA[a]]></Content></xml>']) {
      expect(cipher.decrypt(cipher.encrypt(msg))).toBe(msg);
    }
  });

  it('uses a fresh random by default', () => {
    expect(cipher.encrypt('same')).not.toBe(cipher.encrypt('same'));
  });

  it('refuses a random that is not 16 bytes', () => {
    expect(() => cipher.encrypt('x', Buffer.alloc(15))).toThrow(RangeError);
  });
});

describe('decrypt refuses, each with its code', () => {
  const cipher = createMessageCipher({ appid: APPID_A, encodingAESKey: KEY_A });
  const valid = rawEncrypt(KEY_A, frame({}));

  it('accepts the well-formed crafted frame (the baseline the cases below break)', () => {
    expect(cipher.decrypt(valid)).toBe('hello');
  });

  it.each([
    ['garbage characters', 'not base64!!'],
    ['a newline inside', `${valid.slice(0, 8)}\n${valid.slice(8)}`],
    ['surrounding whitespace', ` ${valid} `],
    ['base64url characters', Buffer.alloc(48, 0xff).toString('base64').replaceAll('/', '_')],
    ['missing padding', 'YWJjZA'],
    ['non-zero trailing bits', 'YWJjZB=='],
    ['a padding character inside', `${valid.slice(0, 4)}=${valid.slice(5)}`],
  ])('base64_invalid: %s', (_label, encrypted) => {
    expect(decryptCode(() => cipher.decrypt(encrypted))).toBe('base64_invalid');
  });

  it.each([
    ['empty', ''],
    ['3 bytes', 'YWJj'],
    ['17 bytes', Buffer.alloc(17, 1).toString('base64')],
    ['40 bytes', Buffer.alloc(40, 1).toString('base64')],
  ])('ciphertext_length_invalid: %s', (_label, encrypted) => {
    expect(decryptCode(() => cipher.decrypt(encrypted))).toBe('ciphertext_length_invalid');
  });

  /** The frame without padding, then `byte` repeated to at least `min` bytes and a multiple of 16. */
  function withPad(byte: number, min: number): Buffer {
    const unpadded = frame({ pad: Buffer.alloc(0) });
    const n = min + ((16 - ((unpadded.length + min) % 16)) % 16);
    return Buffer.concat([unpadded, Buffer.alloc(n, byte)]);
  }

  it('padding_invalid: pad byte 0', () => {
    expect(decryptCode(() => cipher.decrypt(rawEncrypt(KEY_A, withPad(0, 1))))).toBe('padding_invalid');
  });

  it('padding_invalid: pad byte 33, even with 33 bytes of 33 (valid PKCS#7 for a 33-byte block)', () => {
    expect(decryptCode(() => cipher.decrypt(rawEncrypt(KEY_A, withPad(33, 33))))).toBe('padding_invalid');
  });

  it('padding_invalid: pad bytes not all equal', () => {
    const plain = frame({});
    const n = plain[plain.length - 1]!;
    expect(n).toBeGreaterThan(1);
    const broken = Buffer.from(plain);
    broken[broken.length - n] = n - 1;
    expect(decryptCode(() => cipher.decrypt(rawEncrypt(KEY_A, broken)))).toBe('padding_invalid');
  });

  it('padding_invalid: pad longer than the data', () => {
    const block = Buffer.alloc(16, 20); // one block whose pad claims 20 bytes
    expect(decryptCode(() => cipher.decrypt(rawEncrypt(KEY_A, block)))).toBe('padding_invalid');
  });

  it('length_invalid: msg_len beyond the plaintext', () => {
    expect(decryptCode(() => cipher.decrypt(rawEncrypt(KEY_A, frame({ msgLen: 1000 }))))).toBe('length_invalid');
    expect(decryptCode(() => cipher.decrypt(rawEncrypt(KEY_A, frame({ msgLen: 0xffffffff }))))).toBe('length_invalid');
    // one byte more than msg + appid
    expect(decryptCode(() => cipher.decrypt(rawEncrypt(KEY_A, frame({ msgLen: 5 + APPID_A.length + 1 }))))).toBe('length_invalid');
  });

  it('length_invalid: too short for random and msg_len', () => {
    const short = Buffer.concat([Buffer.alloc(10, 0x72), Buffer.alloc(22, 22)]);
    expect(decryptCode(() => cipher.decrypt(rawEncrypt(KEY_A, short)))).toBe('length_invalid');
  });

  it('appid_mismatch: another account, a prefix of ours, or none at all', () => {
    expect(decryptCode(() => cipher.decrypt(rawEncrypt(KEY_A, frame({ appid: 'wx0000000000000000' }))))).toBe('appid_mismatch');
    expect(decryptCode(() => cipher.decrypt(rawEncrypt(KEY_A, frame({ appid: APPID_A.slice(0, -1) }))))).toBe('appid_mismatch');
    expect(decryptCode(() => cipher.decrypt(rawEncrypt(KEY_A, frame({ appid: '' }))))).toBe('appid_mismatch');
    // msg_len that swallows the appid leaves nothing to compare
    expect(decryptCode(() => cipher.decrypt(rawEncrypt(KEY_A, frame({ msgLen: 5 + APPID_A.length }))))).toBe('appid_mismatch');
    // and the official ciphertext of another account
    expect(decryptCode(() => cipher.decrypt(PUSH_C))).toBe('appid_mismatch');
  });

  it('errors are 400 and may be shown', () => {
    try {
      cipher.decrypt('');
    } catch (err) {
      expect((err as DecryptError).status).toBe(400);
      expect((err as DecryptError).expose).toBe(true);
    }
    expect.assertions(2);
  });
});

describe('key rotation', () => {
  const oldCipher = createMessageCipher({ appid: APPID_A, encodingAESKey: KEY_OLD });
  const rotated = createMessageCipher({ appid: APPID_A, encodingAESKey: KEY_NEW, previousKey: KEY_OLD });
  const newOnly = createMessageCipher({ appid: APPID_A, encodingAESKey: KEY_NEW });

  it('decrypts a message of the previous key when it is configured', () => {
    const sent = oldCipher.encrypt('<xml>before the rotation</xml>');
    expect(rotated.decrypt(sent)).toBe('<xml>before the rotation</xml>');
  });

  it('fails on the same message without the previous key', () => {
    const sent = oldCipher.encrypt('<xml>before the rotation</xml>');
    expect(['padding_invalid', 'length_invalid', 'appid_mismatch']).toContain(decryptCode(() => newOnly.decrypt(sent)));
  });

  it('still decrypts with the current key first, and encrypts with it', () => {
    expect(rotated.decrypt(newOnly.encrypt('current'))).toBe('current');
    expect(newOnly.decrypt(rotated.encrypt('reply'))).toBe('reply');
  });

  it('when both keys fail, throws the current key\'s error', () => {
    // decrypts fine under the new key, but for another account: appid_mismatch with the current key
    const otherAccount = rawEncrypt(KEY_NEW, frame({ appid: 'wx0000000000000000' }));
    expect(decryptCode(() => rotated.decrypt(otherAccount))).toBe('appid_mismatch');
    // garbage under both keys: the same code as the current key alone reports
    const garbage = rawEncrypt(KEY_A, Buffer.alloc(64, 7));
    expect(decryptCode(() => rotated.decrypt(garbage))).toBe(decryptCode(() => newOnly.decrypt(garbage)));
  });

  it('does not retry failures that no key can fix', () => {
    expect(decryptCode(() => rotated.decrypt('!!'))).toBe('base64_invalid');
    expect(decryptCode(() => rotated.decrypt('YWJj'))).toBe('ciphertext_length_invalid');
  });
});

describe('one cipher, many frames (a Decipher kept per key)', () => {
  it('decrypts the official vectors after other frames, and again after a refused one', () => {
    const cipher = createMessageCipher({ appid: APPID_B, encodingAESKey: KEY_B });
    for (let i = 0; i < 5; i++) expect(cipher.decrypt(cipher.encrypt(`warm-up ${i} ${'x'.repeat(i * 37)}`))).toBe(`warm-up ${i} ${'x'.repeat(i * 37)}`);
    expect(cipher.decrypt(PUSH_B)).toBe(PUSH_B_MSG);
    expect(decryptCode(() => cipher.decrypt(rawEncrypt(KEY_B, Buffer.alloc(48, 0))))).toBe('padding_invalid');
    expect(cipher.decrypt(PUSH_B)).toBe(PUSH_B_MSG);
    const c = createMessageCipher({ appid: APPID_C, encodingAESKey: KEY_A });
    expect(c.decrypt(PUSH_C)).toBe(PUSH_C_MSG);
    expect(c.decrypt(PUSH_C)).toBe(PUSH_C_MSG);
  });

  it('round-trips 500 frames of every length in a row, each right whatever came before', () => {
    const cipher = createMessageCipher({ appid: APPID_A, encodingAESKey: KEY_A });
    for (let i = 0; i < 500; i++) {
      const msg = `${i}:${'中a'.repeat(i % 97)}`;
      expect(cipher.decrypt(cipher.encrypt(msg))).toBe(msg);
    }
  });

  it('a refused frame gets the code a new cipher gives, whatever was decrypted before', () => {
    const frames = [
      Buffer.concat([Buffer.alloc(10, 0x72), Buffer.alloc(22, 22)]), // too short: length_invalid
      Buffer.alloc(16, 20), // pad longer than the data
      Buffer.alloc(32, 32), // a full block of padding, nothing else
      frame({ msgLen: 1000 }),
      frame({ appid: 'wx0000000000000000' }),
    ].map((f) => rawEncrypt(KEY_A, f));
    const used = createMessageCipher({ appid: APPID_A, encodingAESKey: KEY_A });
    for (const encrypted of frames) {
      used.decrypt(used.encrypt('something before'));
      const expected = decryptCode(() => createMessageCipher({ appid: APPID_A, encodingAESKey: KEY_A }).decrypt(encrypted));
      expect(decryptCode(() => used.decrypt(encrypted))).toBe(expected);
    }
  });
});
