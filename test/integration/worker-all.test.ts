// `wxgate all` (what `npm start` runs): one process takes the push, runs the handler and sends
// the reply; SIGTERM stops it cleanly.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildPush } from '../../src/dev/pushes.js';
import { TEST_APP } from '../helpers/receiver.js';
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
    const proc = spawn(process.execPath, ['bin/wxgate.js', 'all'], { env: { ...process.env, ...h.childEnv, PORT: '0', HOST: '127.0.0.1' }, stdio: ['ignore', 'pipe', 'inherit'] });
    const lines: Record<string, unknown>[] = [];
    createInterface({ input: proc.stdout! }).on('line', (l) => lines.push(JSON.parse(l) as Record<string, unknown>));
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
      proc.kill('SIGTERM');
      expect(await exited).toBe(0);
    } finally {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
    }
  });
});
