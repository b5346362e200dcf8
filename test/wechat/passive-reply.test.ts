import { describe, expect, it } from 'vitest';
import { WXBizMsgCrypt } from '../helpers/wechat-crypto.js';
import { reply } from '../../src/worker/replies.js';
import { createMessageCipher } from '../../src/wechat/cipher.js';
import { buildPassiveReply, encryptPassiveReply, isPassiveReply } from '../../src/wechat/passive-reply.js';
import { sha1Signature } from '../../src/wechat/signature.js';
import { parseXml } from '../../src/wechat/xml.js';

// Known answers from WeChat's own material:
//  - the 被动回复 page's text sample (toUser, fromUser, 12345678, 你好), whitespace between tags removed;
//  - the WXBizMsgCrypt Java sample's encrypted reply (WXBizMsgCryptTest, also test/wechat/cipher.test.ts
//    vector A2): a video reply from gh_7f083739789a, CreateTime 1407743423, encrypted with
//    EncodingAESKey abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG, AppID wxb11529c136998cb6, random
//    "aaaabbbbccccdddd"; that test signs with Token pamtest, timestamp 1409304348, nonce xxxxxx.
// Decryption is checked with an independent implementation: wechat-crypto (co-wechat's).
const KEY = 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG';
const APPID = 'wxb11529c136998cb6';
const SAMPLE_VIDEO_REPLY =
  '<xml><ToUserName><![CDATA[oia2Tj我是中文jewbmiOUlr6X-1crbLOvLw]]></ToUserName><FromUserName><![CDATA[gh_7f083739789a]]></FromUserName><CreateTime>1407743423</CreateTime><MsgType><![CDATA[video]]></MsgType><Video><MediaId><![CDATA[eYJ1MbwPRJtOvIEabaxHs7TX2D-HV71s79GUxqdUkjm6Gs2Ed1KF3ulAOA9H1xG0]]></MediaId><Title><![CDATA[testCallBackReplyVideo]]></Title><Description><![CDATA[testCallBackReplyVideo]]></Description></Video></xml>';
const SAMPLE_VIDEO_CIPHER =
  'jn1L23DB+6ELqJ+6bruv23M2GmYfkv0xBh2h+XTBOKVKcgDFHle6gqcZ1cZrk3e1qjPQ1F4RsLWzQRG9udbKWesxlkupqcEcW7ZQweImX9+wLMa0GaUzpkycA8+IamDBxn5loLgZpnS7fVAbExOkK5DYHBmv5tptA9tklE/fTIILHR8HLXa5nQvFb3tYPKAlHF3rtTeayNf0QuM+UW/wM9enGIDIJHF7CLHiDNAYxr+r+OrJCmPQyTy8cVWlu9iSvOHPT/77bZqJucQHQ04sq7KZI27OcqpQNSto2OdHCoTccjggX5Z9Mma0nMJBU+jLKJ38YB1fBIz+vBzsYjrTmFQ44YfeEuZ+xRTQwr92vhA9OxchWVINGC50qE/6lmkwWTwGX9wtQpsJKhP+oS7rvTY8+VdzETdfakjkwQ5/Xka042OlUb1/slTwo4RscuQ+RdxSGvDahxAJ6+EAjLt9d8igHngxIbf6YyqqROxuxqIeIch3CssH/LqRs+iAcILvApYZckqmA7FNERspKA5f8GoJ9sv8xmGvZ9Yrf57cExWtnX8aCMMaBropU/1k+hKP5LVdzbWCG0hGwx/dQudYR/eXp3P0XxjlFiy+9DMlaFExWUZQDajPkdPrEeOwofJb';
const SAMPLE_TEXT_REPLY =
  '<xml><ToUserName><![CDATA[toUser]]></ToUserName><FromUserName><![CDATA[fromUser]]></FromUserName><CreateTime>12345678</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[你好]]></Content></xml>';


const sampleVideo = reply.video({ mediaId: 'eYJ1MbwPRJtOvIEabaxHs7TX2D-HV71s79GUxqdUkjm6Gs2Ed1KF3ulAOA9H1xG0', title: 'testCallBackReplyVideo', description: 'testCallBackReplyVideo' });
const sampleAddress = { toUser: 'oia2Tj我是中文jewbmiOUlr6X-1crbLOvLw', fromUser: 'gh_7f083739789a', createTime: 1407743423 };

describe('buildPassiveReply', () => {
  it('builds WeChat\'s documented text and video samples exactly', () => {
    expect(buildPassiveReply(reply.text('你好'), { toUser: 'toUser', fromUser: 'fromUser', createTime: 12345678 })).toBe(SAMPLE_TEXT_REPLY);
    expect(buildPassiveReply(sampleVideo, sampleAddress)).toBe(SAMPLE_VIDEO_REPLY);
  });

  it('builds image, voice, music and news with the fields WeChat names', () => {
    const at = { toUser: 'oUser', fromUser: 'gh_1', createTime: 1700000000 };
    const read = (r: Parameters<typeof buildPassiveReply>[0]) => parseXml(buildPassiveReply(r, at));
    expect(read(reply.image('m1'))).toEqual({ ToUserName: 'oUser', FromUserName: 'gh_1', CreateTime: '1700000000', MsgType: 'image', Image: { MediaId: 'm1' } });
    expect(read(reply.voice('v1'))).toMatchObject({ MsgType: 'voice', Voice: { MediaId: 'v1' } });
    expect(read(reply.music({ title: 't', description: 'd', musicUrl: 'http://m', hqMusicUrl: 'http://hq', thumbMediaId: 'th' }))).toMatchObject({
      MsgType: 'music',
      Music: { Title: 't', Description: 'd', MusicUrl: 'http://m', HQMusicUrl: 'http://hq', ThumbMediaId: 'th' },
    });
    expect(read(reply.news({ title: 'T', description: 'D', url: 'http://u', picUrl: 'http://p' }))).toMatchObject({
      MsgType: 'news',
      ArticleCount: '1',
      Articles: { item: [{ Title: 'T', Description: 'D', PicUrl: 'http://p', Url: 'http://u' }] },
    });
  });

  it('keeps text that looks like markup, and a CDATA end inside it', () => {
    const xml = buildPassiveReply(reply.text('a ]]> <b>&amp;</b>'), { toUser: 'o', fromUser: 'g', createTime: 1 });
    expect(parseXml(xml).Content).toBe('a ]]> <b>&amp;</b>');
  });

  it('knows which replies can travel passively', () => {
    expect(isPassiveReply(reply.text('x'))).toBe(true);
    expect(isPassiveReply(reply.news({ title: 't', url: 'u' }))).toBe(true);
    expect(isPassiveReply(reply.mpnews('m'))).toBe(false);
    expect(isPassiveReply(reply.typing())).toBe(false);
  });
});

describe('encryptPassiveReply', () => {
  const cipher = createMessageCipher({ appid: APPID, encodingAESKey: KEY });

  it('encrypts the official sample to the official ciphertext, signed over Token, TimeStamp, Nonce and Encrypt', () => {
    const envelope = encryptPassiveReply(buildPassiveReply(sampleVideo, sampleAddress), { token: 'pamtest', cipher, timestamp: '1409304348', nonce: 'xxxxxx', random: Buffer.from('aaaabbbbccccdddd') });
    const signature = sha1Signature(['pamtest', '1409304348', 'xxxxxx', SAMPLE_VIDEO_CIPHER]);
    expect(envelope).toBe(`<xml><Encrypt><![CDATA[${SAMPLE_VIDEO_CIPHER}]]></Encrypt><MsgSignature><![CDATA[${signature}]]></MsgSignature><TimeStamp>1409304348</TimeStamp><Nonce><![CDATA[xxxxxx]]></Nonce></xml>`);
  });

  it('wechat-crypto (an independent implementation) checks the signature and decrypts the reply', () => {
    const xml = buildPassiveReply(reply.text('你好，wxgate'), { toUser: 'oUser', fromUser: 'gh_1', createTime: 1700000000 });
    const envelope = parseXml(encryptPassiveReply(xml, { token: 'pamtest', cipher, timestamp: '1700000001', nonce: 'n0nce' }));
    const theirs = new WXBizMsgCrypt('pamtest', KEY, APPID);
    const encrypt = envelope.Encrypt as string;
    expect(theirs.getSignature(envelope.TimeStamp as string, envelope.Nonce as string, encrypt)).toBe(envelope.MsgSignature);
    expect(theirs.decrypt(encrypt)).toEqual({ message: xml, id: APPID });
  });
});
