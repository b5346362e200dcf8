// `wxgate all` (what `npm start` runs): one process takes the push, runs the handler and sends
// the reply; SIGTERM stops it cleanly.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildPush } from '../../src/dev/pushes.js';
import { TEST_APP } from '../helpers/receiver.js';
import { checkLine, TEST_SECRETS } from '../helpers/secrets.js';
import { inboundId, newOpenid, settled, startHarness, text, waitFor, type Harness } from '../fixtures/worker/harness.js';

let h: Harness;
beforeAll(async () => {
  // The harness gives the prefix, the mock and the queues; its own receiver is not used here.
  h = await startHarness({ workers: false });
});
afterAll(async () => {
  await h?.close();
});

describe('wxgate all', () => {
  it('answers a push with success and the user with the handler\'s reply; exits 0 on SIGTERM', { timeout: 60_000 }, async () => {
    const env = { ...process.env, ...h.childEnv, PORT: '0', HOST: '127.0.0.1', WXGATE_INTERNAL_TOKEN: TEST_SECRETS.internalToken };
    const proc = spawn(process.execPath, ['bin/wxgate.js', 'all'], { env, stdio: ['ignore', 'pipe', 'inherit'] });
    const lines: Record<string, unknown>[] = [];
    createInterface({ input: proc.stdout! }).on('line', (l) => {
      checkLine(l); // the child's log lines go through the secrets guard too
      lines.push(JSON.parse(l) as Record<string, unknown>);
    });
    const exited = new Promise<number | null>((resolve) => proc.once('exit', resolve));
    try {
      const listening = await waitFor(() => lines.find((l) => l.msg === 'receiver listening'), 'the receiver to listen', 25_000);
      await waitFor(() => lines.find((l) => l.msg === 'workers running'), 'the workers', 25_000);
      const openid = newOpenid();
      const msg = text(openid, 'hello all');
      const push = buildPush(TEST_APP, msg, { mode: 'aes' });
      const res = await fetch(`${listening.url as string}${push.path}`, { method: 'POST', body: push.body, headers: { 'content-type': 'text/xml' } });
      expect(await res.text()).toBe('success');
      await settled(h.outbound, `${inboundId(msg.MsgId as string)}_r0`);
      expect(h.sentTo(openid).map((s) => s.content)).toEqual(['echo: hello all']);

      // One /metrics for both halves, moving after the traffic (issue 5).
      const metrics = await (await fetch(`${listening.url as string}/metrics`)).text();
      expect(metrics).toMatch(new RegExp(`wxgate_pushes_total\\{appid="${TEST_APP.appid}",outcome="acked",reason=""\\} 1`));
      expect(metrics).toMatch(/wxgate_jobs_total\{queue="inbound",outcome="done"\} 1/);
      expect(metrics).toMatch(/wxgate_jobs_total\{queue="outbound",outcome="done"\} 1/);
      expect(metrics).toMatch(new RegExp(`wxgate_sends_total\\{appid="${TEST_APP.appid}",path="custom",errcode="0"\\} 1`));
      expect(metrics).toMatch(/wxgate_ack_seconds_count\{mode="aes"\} 1/);
      expect(metrics).toMatch(/wxgate_handler_seconds_count\{outcome="ok"\} 1/);
      expect(metrics).toMatch(/wxgate_queue_jobs\{queue="outbound",state="completed"\} 1/);
      expect(metrics).toMatch(new RegExp(`wxgate_token_fetches_today\\{appid="${TEST_APP.appid}"\\} 1`));
      expect(metrics).toMatch(/wxgate_spool_depth 0/);
      expect(metrics).toMatch(/wxgate_process_resident_memory_bytes/);

      // /readyz says whether the workers can get the account's token (issue 14).
      const ready = await (await fetch(`${listening.url as string}/readyz`)).json();
      expect(ready).toMatchObject({ redis: 'up', tokens: { [TEST_APP.appid]: { state: 'available' } } });

      // The internal API is on, behind the bearer token.
      const tokenUrl = `${listening.url as string}/internal/v1/apps/${TEST_APP.appid}/access-token`;
      expect((await fetch(tokenUrl)).status).toBe(401);
      const token = await fetch(tokenUrl, { headers: { authorization: `Bearer ${TEST_SECRETS.internalToken}` } });
      expect(token.status).toBe(200);
      expect(await token.json()).toMatchObject({ access_token: expect.any(String), expires_at: expect.any(Number) });

      // One Redis watch for the process, shared by both halves (src/cli/all.ts).
      const redisChecked = () => lines.filter((l) => l.layer === 'redis' && String(l.msg).startsWith('Redis checked'));
      await waitFor(() => redisChecked().length > 0, 'the Redis check');
      expect(redisChecked()).toHaveLength(1);

      proc.kill('SIGTERM');
      expect(await exited).toBe(0);
    } finally {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
    }
  });
});
