// Issue 5: secrets absent from every log line written during the whole suite. The guard in
// test/setup/secrets-guard.ts checks each file's captured lines; this file checks the guard.
import { describe, expect, it } from 'vitest';
import { findSecrets, secretViolations, TEST_SECRETS } from './helpers/secrets.js';
import { captureLogs } from './helpers/log-capture.js';

describe('secrets in logs', () => {
  it('recognises each kind of leak', () => {
    expect(findSecrets(`{"token":"${TEST_SECRETS.token}"}`)).not.toEqual([]);
    expect(findSecrets(`{"url":"https://api.weixin.qq.com/cgi-bin/message/custom/send?access_token=ABCDEFGH123"}`)).toContain('access_token parameter');
    expect(findSecrets(`{"v":"${'A'.repeat(96)}"}`)).toContain('access_token value');
    expect(findSecrets('{"path":"/cgi-bin/token?grant_type=client_credential&appid=wx1&secret=abc"}')).toContain('secret parameter');
    expect(findSecrets('{"layer":"send","access_token":"[redacted]","fp":"1a2b3c4d"}')).toEqual([]);
  });

  it('the logger redacts secrets by key, so the guard sees none', () => {
    const logs = captureLogs();
    logs.logger.info({ appsecret: TEST_SECRETS.appsecret, app: { token: TEST_SECRETS.token, encodingAESKey: TEST_SECRETS.encodingAESKey } }, 'x');
    expect(secretViolations()).toEqual([]);
  });

  it('a leak is recorded as a violation', () => {
    const logs = captureLogs();
    logs.logger.info({ note: `oops ${TEST_SECRETS.internalToken}` }, 'leak');
    const recorded = secretViolations().splice(0);
    expect(recorded).toHaveLength(1);
  });
});
