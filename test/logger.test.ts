import { describe, expect, it } from 'vitest';
import { captureLogs } from './helpers/log-capture.js';

describe('logger', () => {
  it('redacts secrets wherever they sit, keeps the rest', () => {
    const logs = captureLogs();
    logs.logger.info({ layer: 'token', appid: 'wx1', appsecret: 's3cr3t', access_token: 'ACCESS', app: { token: 'tok', encodingAESKey: 'k'.repeat(43) }, headers: { authorization: 'Bearer z' } }, 'fetched');
    const raw = logs.raw.join('');
    for (const secret of ['s3cr3t', 'ACCESS', '"tok"', 'kkkk', 'Bearer z']) expect(raw).not.toContain(secret);
    expect(logs.lines[0]).toMatchObject({ layer: 'token', appid: 'wx1', msg: 'fetched', appsecret: '[redacted]' });
  });

  it('redacts passwords: the dashboard credential in the config, and a password anywhere a secret is looked for', () => {
    const logs = captureLogs();
    logs.logger.info({ config: { dashboard: { user: 'ops', password: 'hunter2hunter2' } }, password: 'pw-top', err: { password: 'pw-err' } }, 'started');
    const raw = logs.raw.join('');
    for (const secret of ['hunter2hunter2', 'pw-top', 'pw-err']) expect(raw).not.toContain(secret);
    expect(logs.lines[0]).toMatchObject({ password: '[redacted]', config: { dashboard: { user: 'ops', password: '[redacted]' } } });
  });
});
