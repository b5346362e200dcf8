import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { VerificationError } from '../../src/errors.js';
import { safeEqual, sha1Signature, verifySignature, type SignatureInput } from '../../src/wechat/signature.js';
import { errorCode } from '../helpers/error-code.js';

// Official examples, developers.weixin.qq.com:
//  - 消息推送 (plain URL verification): Token AAAAA, timestamp 1714036504, nonce 1514711492
//    → signature f464b24fc39322e44b38aa78f5edd27bd1441696
//  - 消息加解密说明 (plain-mode push): Token AAAAA, timestamp 1714037059, nonce 486452656
//    → signature 899cf89e464efb63f54ddac96b0a0a235f53aa78
//  - Third-party platform 消息推送 (safe-mode push): Token AAAAA, timestamp 1715943329,
//    nonce 1590219412, Encrypt D7yz… → msg_signature 6c12a4205838198b8fa631b3220723bb07f1015c
//  - WXBizMsgCrypt Python Sample.py: Token spamtest, timestamp 1409735669, nonce 1320562132,
//    Encrypt hyzAe4… → msg_signature 5d197aaffba7e9b25a30732f161a50dee96bd5fa
const DOC_ENCRYPT =
  'D7yzvUNAL930rd28wf21s4hvXhz0L6Uit/p2Di6C5DHyYGpEgdBRnKjBec34JwoQXicwaZC7fOVihW80F4VtsdvE//1vr7oAbqjDv8KenVp+ajKYpJnyQ4zMRhIC+a31fCVOMC03FfzV/QuC94kBP55a+Za3sJgvAn+ZbsNqZI5DkyuzkhQN8OBqCzFhizGmy0xpM0MEA4agpvE+RuNO1rhHTtuJB5yltw1FiYzecSXJ+y/D2r81VkRn2eYjh2ltsoyfbDR7Is6ookXIFxTfyeNyeHxMeT4KN5WpCDmSbTcUYrbBUlkGLJ9n/rU8YOywma6G7aTb7KZKOqCxgfoUlYEZPk4FUL/TK7ShriFDMVCLyjQJ15Ob++agDWtcxhfUfe6HIoIpRW8mKNBQiY/Jd1svvuskA1wLef1RTtzKfMpagSCX/laZINmdnX4zrF6kIaR9P4xQrWXbsTFHTYe0Mg==';
const SAMPLE_ENCRYPT =
  'hyzAe4OzmOMbd6TvGdIOO6uBmdJoD0Fk53REIHvxYtJlE2B655HuD0m8KUePWB3+LrPXo87wzQ1QLvbeUgmBM4x6F8PGHQHFVAFmOD2LdJF9FrXpbUAh0B5GIItb52sn896wVsMSHGuPE328HnRGBcrS7C41IzDWyWNlZkyyXwon8T332jisa+h6tEDYsVticbSnyU8dKOIbgU6ux5VTjg3yt+WGzjlpKn6NPhRjpA912xMezR4kw6KWwMrCVKSVCZciVGCgavjIQ6X8tCOp3yZbGpy0VxpAe+77TszTfRd5RJSVO/HTnifJpXgCSUdUue1v6h0EIBYYI1BD1DlD+C0CR8e6OewpusjZ4uBl9FyJvnhvQl+q5rv1ixrcpCumEPo5MJSgM9ehVsNPfUM669WuMyVWQLCzpu9GhglF2PE=';

const codeOf = (fn: () => unknown) => errorCode(fn, VerificationError);

describe('sha1Signature', () => {
  it('matches the official URL-verification example', () => {
    expect(sha1Signature(['AAAAA', '1714036504', '1514711492'])).toBe('f464b24fc39322e44b38aa78f5edd27bd1441696');
  });

  it('matches the official plain-mode push example', () => {
    expect(sha1Signature(['AAAAA', '1714037059', '486452656'])).toBe('899cf89e464efb63f54ddac96b0a0a235f53aa78');
  });

  it('matches the official msg_signature examples', () => {
    expect(sha1Signature(['AAAAA', '1715943329', '1590219412', DOC_ENCRYPT])).toBe('6c12a4205838198b8fa631b3220723bb07f1015c');
    expect(sha1Signature(['spamtest', '1409735669', '1320562132', SAMPLE_ENCRYPT])).toBe('5d197aaffba7e9b25a30732f161a50dee96bd5fa');
  });

  it('sorts the parts, so their order does not matter, and does not touch the input', () => {
    const parts = ['1514711492', 'AAAAA', '1714036504'] as const;
    expect(sha1Signature(parts)).toBe('f464b24fc39322e44b38aa78f5edd27bd1441696');
    expect(parts).toEqual(['1514711492', 'AAAAA', '1714036504']);
  });

  it('orders as Array#sort does, for every order of four parts', () => {
    const parts = ['AAAA', 'AAAAA', '1409735669', 'a+/=Zz'];
    const reference = createHash('sha1').update([...parts].sort().join('')).digest('hex');
    const permutations = (xs: string[]): string[][] => (xs.length <= 1 ? [xs] : xs.flatMap((x, i) => permutations([...xs.slice(0, i), ...xs.slice(i + 1)]).map((rest) => [x, ...rest])));
    for (const order of permutations(parts)) expect(sha1Signature(order)).toBe(reference);
  });
});

describe('safeEqual', () => {
  it('compares strings', () => {
    expect(safeEqual('abc', 'abc')).toBe(true);
    expect(safeEqual('abc', 'abd')).toBe(false);
    expect(safeEqual('', '')).toBe(true);
  });

  it('returns false on different lengths instead of throwing', () => {
    expect(safeEqual('abc', 'abcd')).toBe(false);
    // same UTF-16 length, different byte length: still false, no RangeError from timingSafeEqual
    expect(safeEqual('é', 'e')).toBe(false);
  });
});

describe('verifySignature', () => {
  const NOW = 1714036504;
  const plain: SignatureInput = {
    token: 'AAAAA',
    timestamp: '1714036504',
    nonce: '1514711492',
    signature: 'f464b24fc39322e44b38aa78f5edd27bd1441696',
  };

  it('accepts the official plain signature', () => {
    expect(() => verifySignature(plain, { nowS: NOW })).not.toThrow();
  });

  it('checks msg_signature over the Encrypt payload when encrypt is given', () => {
    const input = { token: 'AAAAA', timestamp: '1715943329', nonce: '1590219412', encrypt: DOC_ENCRYPT, signature: '6c12a4205838198b8fa631b3220723bb07f1015c' };
    expect(() => verifySignature(input, { nowS: 1715943329 })).not.toThrow();
    // the plain signature of the same push is not a valid msg_signature
    expect(codeOf(() => verifySignature({ ...input, signature: sha1Signature(['AAAAA', '1715943329', '1590219412']) }, { nowS: 1715943329 }))).toBe(
      'signature_mismatch',
    );
    // a changed payload breaks it
    expect(codeOf(() => verifySignature({ ...input, encrypt: `A${DOC_ENCRYPT.slice(1)}` }, { nowS: 1715943329 }))).toBe('signature_mismatch');
  });

  it.each([
    ['signature', undefined],
    ['signature', ''],
    ['timestamp', undefined],
    ['timestamp', ''],
    ['nonce', undefined],
    ['nonce', ''],
  ])('signature_missing when %s is %j', (field, value) => {
    expect(codeOf(() => verifySignature({ ...plain, [field]: value }, { nowS: NOW }))).toBe('signature_missing');
  });

  it('signature_missing when encrypt is given but empty (it would equal the plain signature)', () => {
    expect(codeOf(() => verifySignature({ ...plain, encrypt: '' }, { nowS: NOW }))).toBe('signature_missing');
  });

  it('signature_mismatch for a wrong token, a wrong signature, or a signature of another case', () => {
    expect(codeOf(() => verifySignature({ ...plain, token: 'BBBBB' }, { nowS: NOW }))).toBe('signature_mismatch');
    expect(codeOf(() => verifySignature({ ...plain, signature: 'deadbeef' }, { nowS: NOW }))).toBe('signature_mismatch');
    expect(codeOf(() => verifySignature({ ...plain, signature: plain.signature!.toUpperCase() }, { nowS: NOW }))).toBe('signature_mismatch');
  });

  it('checks the signature before the timestamp, so an unsigned caller learns nothing of the window', () => {
    expect(codeOf(() => verifySignature({ ...plain, signature: 'deadbeef' }, { nowS: NOW + 100_000 }))).toBe('signature_mismatch');
    expect(codeOf(() => verifySignature({ ...plain, timestamp: 'abc' }, { nowS: NOW }))).toBe('signature_mismatch');
  });

  it.each(['12ab', '-1', '1.5', ' 1714036504', '1234567890123', '01714036504', '0'])('timestamp_invalid for a signed timestamp %j', (timestamp) => {
    const input = { token: 'AAAAA', timestamp, nonce: 'n', signature: sha1Signature(['AAAAA', timestamp, 'n']) };
    expect(codeOf(() => verifySignature(input, { nowS: NOW }))).toBe('timestamp_invalid');
  });

  it('accepts exactly the tolerance on both sides and rejects one second more', () => {
    const at = (nowS: number, toleranceS?: number) => codeOf(() => verifySignature(plain, { nowS, ...(toleranceS === undefined ? {} : { toleranceS }) }));
    expect(at(NOW + 300)).toBeUndefined();
    expect(at(NOW - 300)).toBeUndefined();
    expect(at(NOW + 301)).toBe('timestamp_out_of_window');
    expect(at(NOW - 301)).toBe('timestamp_out_of_window');
    expect(at(NOW + 30, 30)).toBeUndefined();
    expect(at(NOW + 31, 30)).toBe('timestamp_out_of_window');
  });

  it('uses the clock by default', () => {
    const timestamp = String(Math.floor(Date.now() / 1000));
    const fresh = { token: 't', timestamp, nonce: 'n', signature: sha1Signature(['t', timestamp, 'n']) };
    expect(() => verifySignature(fresh)).not.toThrow();
    const old = { token: 't', timestamp: '1000', nonce: 'n', signature: sha1Signature(['t', '1000', 'n']) };
    expect(codeOf(() => verifySignature(old))).toBe('timestamp_out_of_window');
  });

  it('maps to 401 with an exposable message', () => {
    try {
      verifySignature({ ...plain, signature: 'x' }, { nowS: NOW });
    } catch (err) {
      expect((err as VerificationError).status).toBe(401);
      expect((err as VerificationError).expose).toBe(true);
    }
    expect.assertions(2);
  });
});
