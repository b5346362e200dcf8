// Which pushes an account accepts (WECHAT_MESSAGE_MODE, issue 14), on the pure protocol step.
import { describe, expect, it } from 'vitest';
import { loadConfig, type MessageMode } from '../../src/config.js';
import { buildPush, textMessage, type PushMode } from '../../src/dev/pushes.js';
import { RequestError, VerificationError } from '../../src/errors.js';
import { createAppRegistry } from '../../src/receiver/app-registry.js';
import { readPush } from '../../src/receiver/read-push.js';
import { buildXml } from '../../src/wechat/xml.js';
import { errorCode } from '../helpers/error-code.js';
import { TEST_APP } from '../helpers/receiver.js';

/** The test account as loadConfig builds it; '' for an unset variable. */
function account(mode: MessageMode | '', key = true) {
  const config = loadConfig({ WECHAT_APPID: TEST_APP.appid, WECHAT_TOKEN: TEST_APP.token, WECHAT_ENCODING_AES_KEY: key ? TEST_APP.encodingAESKey : '', WECHAT_MESSAGE_MODE: mode });
  return createAppRegistry(config.apps).resolve(TEST_APP.appid);
}

const message = textMessage({ openid: 'oMode', content: 'hi', msgId: '7001' });

function read(app: ReturnType<typeof account>, mode: PushMode) {
  const push = buildPush(TEST_APP, message, { mode });
  return readPush(app, Object.fromEntries(new URLSearchParams(push.path.split('?')[1])), push.body);
}

describe('readPush: accepted modes', () => {
  // [account mode, key set, push mode, accepted]
  const cases: [MessageMode | '', boolean, PushMode, boolean][] = [
    ['', false, 'plain', true],
    ['', true, 'plain', false], // a key and no mode: safe
    ['', true, 'aes', true],
    ['plain', true, 'plain', true],
    ['plain', true, 'aes', false],
    ['plain', true, 'compat', false],
    ['plain', false, 'aes', false],
    ['safe', true, 'plain', false],
    ['safe', true, 'aes', true],
    ['safe', true, 'compat', true], // compatibility mode's envelope is an encrypted push
    ['compat', true, 'plain', true],
    ['compat', true, 'aes', true],
    ['compat', true, 'compat', true],
  ];

  it.each(cases)('account mode %j (key: %s), a %s push: accepted %s', (mode, key, pushMode, accepted) => {
    const app = account(mode, key);
    const code = errorCode(() => read(app, pushMode), RequestError);
    expect(code).toBe(accepted ? undefined : 'mode_not_accepted');
  });

  it('the mode is checked after the signature: an unsigned push learns nothing of it', () => {
    const push = buildPush(TEST_APP, message);
    const query = Object.fromEntries(new URLSearchParams(push.path.split('?')[1]));
    expect(errorCode(() => readPush(account('safe'), { ...query, signature: '0'.repeat(40) }, push.body), VerificationError)).toBe('signature_mismatch');
  });

  it('hands on the message XML WeChat signed: the body, or the decrypted plaintext', () => {
    expect(read(account('compat'), 'plain').xml).toBe(buildXml(message));
    expect(read(account('compat'), 'aes').xml).toBe(buildXml(message));
    expect(read(account('compat'), 'aes')).toMatchObject({ mode: 'aes', message: { MsgId: '7001' } });
  });
});
