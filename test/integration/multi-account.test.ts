import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildPush, textMessage } from '../../src/dev/pushes.js';
import { startTestReceiver, type TestReceiver } from '../helpers/receiver.js';

const A = { appid: 'wxaaaaaaaaaaaaaaa1', token: 'tokenA', encodingAESKey: 'A'.repeat(43) };
const B = { appid: 'wxbbbbbbbbbbbbbbb2', token: 'tokenB', encodingAESKey: 'B'.repeat(43) };

let t: TestReceiver;
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'wxgate-apps-'));
  const file = join(dir, 'apps.json');
  await writeFile(file, JSON.stringify([A, B]));
  t = await startTestReceiver({ WECHAT_APPID: '', WECHAT_TOKEN: '', WECHAT_ENCODING_AES_KEY: '', WXGATE_APPS_FILE: file });
});
afterAll(async () => {
  await t.close();
  await rm(dir, { recursive: true, force: true });
});

describe('several accounts (WXGATE_APPS_FILE)', () => {
  it('/wechat/:appid picks the account; its own token and key', async () => {
    for (const app of [A, B]) {
      const msgId = String(Date.now()) + '1';
      const push = buildPush(app, textMessage({ openid: 'oMulti', content: app.appid, msgId }), { mode: 'aes', basePath: `/wechat/${app.appid}` });
      const res = await fetch(t.url + push.path, { method: 'POST', body: push.body });
      expect(await res.text()).toBe('success');
      const job = await t.receiver.queue.getJob(`m_${app.appid}_${msgId}`);
      expect(job?.data).toMatchObject({ appid: app.appid, message: { Content: app.appid } });
    }
  });

  it("one account's signature does not open another's door", async () => {
    const push = buildPush(A, textMessage({ openid: 'oMulti', content: 'x', msgId: '42' + Date.now() }), { basePath: `/wechat/${B.appid}` });
    expect((await fetch(t.url + push.path, { method: 'POST', body: push.body })).status).toBe(401);
  });

  it('plain /wechat is 404 with several accounts', async () => {
    const reqId = randomUUID();
    const push = buildPush(A, textMessage({ openid: 'oMulti', content: 'x', msgId: '43' + Date.now() }));
    const res = await fetch(t.url + push.path, { method: 'POST', body: push.body, headers: { 'x-request-id': reqId } });
    expect(res.status).toBe(404);
    expect(t.logs.find((l) => l.reqId === reqId)).toMatchObject({ reason: 'unknown_app' });
  });
});
