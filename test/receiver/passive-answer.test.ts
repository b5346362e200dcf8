import { describe, expect, it } from 'vitest';
import { WXBizMsgCrypt } from '../helpers/wechat-crypto.js';
import { createAppRegistry } from '../../src/receiver/app-registry.js';
import { passiveAnswer } from '../../src/receiver/passive-answer.js';
import { toMessage } from '../../src/wechat/messages.js';
import { parseXml } from '../../src/wechat/xml.js';
import { reply } from '../../src/worker/replies.js';

const CURRENT = 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG';
const PREVIOUS = 'jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C';
const app = createAppRegistry([{ appid: 'wxanswer00000001', token: 'tok', encodingAESKey: CURRENT, encodingAESKeyPrevious: PREVIOUS, tokenApi: 'stable', mode: 'compat', replyMode: 'passive', queueShards: 1 }]).resolve('wxanswer00000001');
const message = toMessage({ ToUserName: 'gh_acct', FromUserName: 'oUser', CreateTime: '1700000000', MsgType: 'text', Content: 'hi', MsgId: '1' });

describe('passiveAnswer', () => {
  it('a plaintext push: the reply XML addressed back to the sender', () => {
    expect(parseXml(passiveAnswer({ app, message, reply: reply.text('yo'), wire: 'plain', nonce: 'n', nowS: 1700000005 }))).toEqual({
      ToUserName: 'oUser', FromUserName: 'gh_acct', CreateTime: '1700000005', MsgType: 'text', Content: 'yo',
    });
  });

  it('an encrypted push: encrypted with the current key after a rotation, with the push\'s nonce', () => {
    const envelope = parseXml(passiveAnswer({ app, message, reply: reply.text('yo'), wire: 'aes', nonce: 'pushnonce', nowS: 1700000005 }));
    expect(envelope).toMatchObject({ TimeStamp: '1700000005', Nonce: 'pushnonce' });
    const { message: xml, id } = new WXBizMsgCrypt('tok', CURRENT, 'wxanswer00000001').decrypt(envelope.Encrypt as string);
    expect(id).toBe('wxanswer00000001');
    expect(parseXml(xml)).toMatchObject({ ToUserName: 'oUser', Content: 'yo' });
  });
});
