// The simulator against the real receiver (real Redis, own prefix): in every mode and for every
// kind, each push is acknowledged on its first delivery under its own dedup key. The receiver's
// account is in mode compat (WECHAT_MESSAGE_MODE), which accepts all three.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { run as probeCommand } from '../../src/cli/probe.js';
import { SIM_KINDS } from '../../src/dev/simulator/message-kinds.js';
import { PROBE_OPENID } from '../../src/dev/simulator/probe.js';
import { simulate } from '../../src/dev/simulator/simulate.js';
import type { MessageResult } from '../../src/dev/simulator/types.js';
import { startTestReceiver, TEST_APP, type TestReceiver } from '../helpers/receiver.js';

let t: TestReceiver;
beforeAll(async () => {
  t = await startTestReceiver({ WECHAT_MESSAGE_MODE: 'compat' });
});
afterAll(async () => {
  await t?.close();
});

const account = { appid: TEST_APP.appid, token: TEST_APP.token, aesKey: TEST_APP.encodingAESKey };
const acked = (openids: Set<string>) => t.logs.lines.filter((l) => l.layer === 'receive' && l.status === 200 && openids.has(String(l.openid)));

describe('simulate → the real receiver', () => {
  for (const mode of ['plain', 'compat', 'aes'] as const) {
    it(`${mode}: every kind, 4 users, all acknowledged first time, one dedup key per message`, async () => {
      const results: MessageResult[] = [];
      const count = SIM_KINDS.length * 2;
      const summary = await simulate({ ...account, url: `${t.url}/wechat`, mode, kinds: SIM_KINDS, users: 4, count, concurrency: 5, onMessage: (r) => results.push(r) });
      expect(summary).toMatchObject({ mode, messages: count, deliveries: count, notSent: 0, acknowledged: { first: count, afterRetry: 0, never: 0 }, passiveReplies: 0, timedOutShare: 0 });
      expect(summary.alerts.every((a) => a.count === 0)).toBe(true);
      const openids = new Set(results.map((r) => r.openid));
      expect(openids.size).toBe(4);
      expect(acked(openids)).toHaveLength(count);
      // One distinct dedup key per message (queued, or spooled if Redis was slow): MsgId for
      // messages; FromUserName + CreateTime (+ event) for events, none collapsed into another.
      const keys = new Set(acked(openids).map((l) => String(l.dedupKey)));
      expect(keys.size).toBe(count);
      for (const r of results.filter((x) => x.msgId)) expect(keys.has(`m_${TEST_APP.appid}_${r.msgId}`)).toBe(true);
    });
  }

  it('the multi-account path /wechat/<appid> works the same', async () => {
    const summary = await simulate({ ...account, url: `${t.url}/wechat/${TEST_APP.appid}`, count: 3 });
    expect(summary.acknowledged.first).toBe(3);
  });

  it('a wrong token is refused by the receiver: WeChat would call it 回应失败, 3 deliveries', async () => {
    const summary = await simulate({ ...account, token: 'notthetoken', url: `${t.url}/wechat`, count: 1, retryIntervalMs: 0 });
    expect(summary).toMatchObject({ deliveries: 3, acknowledged: { never: 1 } });
    expect(summary.alerts.find((a) => a.id === 'response_failure')).toMatchObject({ count: 3, messages: 1 });
    expect(summary.alerts.find((a) => a.id === 'response_failure')!.first!.sample).toContain('[response_content=');
  });

  it('wxgate probe with the receiver\'s own configuration pushes in the mode the account accepts', async () => {
    // A key, no mode: safe, which refuses plaintext. Then the same key with mode plain, which refuses encrypted pushes.
    for (const mode of ['', 'plain']) {
      const env = { WECHAT_APPID: TEST_APP.appid, WECHAT_TOKEN: TEST_APP.token, WECHAT_ENCODING_AES_KEY: TEST_APP.encodingAESKey, WECHAT_MESSAGE_MODE: mode };
      const r = await startTestReceiver(env);
      vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
      try {
        expect(await probeCommand(['--url', `${r.url}/wechat`], env), mode).toBe(0);
      } finally {
        vi.restoreAllMocks();
        await r.close();
      }
    }
  });

  it('wxgate probe exits 0 against it, and its push is logged under the probe openid', async () => {
    vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    try {
      const code = await probeCommand(['--url', `${t.url}/wechat`, '--appid', account.appid, '--token', account.token, '--aes-key', account.aesKey], {});
      expect(code).toBe(0);
    } finally {
      vi.restoreAllMocks();
    }
    expect(acked(new Set([PROBE_OPENID])).length).toBeGreaterThanOrEqual(1);
  });
});
