import { describe, expect, it } from 'vitest';
import { explainAlert } from '../../src/trace/alert.js';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileSource } from '../../src/trace/read-lines.js';
import { alertText, logPaths, logSources } from './fixtures.js';

async function items(alertName: string, logs: string) {
  const r = await explainAlert(alertText(alertName), logSources(logs));
  return Object.fromEntries(r.checklist.map((c) => [c.id, c]));
}

describe('checklist', () => {
  it('timeout: ticks what the logs answer, leaves load and network to a person', async () => {
    const c = await items('request-timeout-enqueue', 'request-timeout-enqueue');
    expect(c.ip).toMatchObject({ answered: true, answer: expect.stringMatching(/^yes/) });
    expect(c.redis).toMatchObject({ answered: true, answer: expect.stringMatching(/^no: enqueue/) });
    expect(c.ack_fast).toMatchObject({ answered: true, answer: expect.stringMatching(/^no/) });
    expect(c.load!.answered).toBe(false);
    expect(c.network!.answered).toBe(false);
  });

  it('timeout at the access layer: the receiver and Redis were fine', async () => {
    const c = await items('request-timeout-access', 'request-timeout-access');
    expect(c.ack_fast!.answer).toMatch(/^yes/);
    expect(c.redis!.answer).toMatch(/^yes/);
    expect(c.ip!.answer).toMatch(/^not in our logs: nginx logged on 10\.1\.2\.3/);
  });

  it('response failure: credentials suspected from signature_mismatch', async () => {
    const c = await items('response-failure-signature', 'response-failure-signature');
    expect(c.credentials!.answer).toMatch(/likely not: 3 × signature_mismatch/);
    expect(c.answer!.answer).toMatch(/signature mismatch/);
    expect(c.clock!.answer).toMatch(/^yes/);
  });

  it('response failure from pushes in a mode the account does not accept: the console\'s mode is suspected', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'wxgate-alert-mode-'));
    try {
      const [access, wxgate] = logPaths('response-failure-signature').map((p) => readFileSync(p, 'utf8').replaceAll('signature_mismatch', 'mode_not_accepted').replaceAll('401', '403'));
      await writeFile(join(dir, 'access.log'), access!);
      await writeFile(join(dir, 'wxgate.log'), wxgate!);
      const alert = alertText('response-failure-signature').replace('signature mismatch', 'plaintext push refused');
      const r = await explainAlert(alert, ['access.log', 'wxgate.log'].map((f) => fileSource(join(dir, f))));
      const c = Object.fromEntries(r.checklist.map((i) => [i.id, i]));
      expect(c.credentials).toMatchObject({ answered: true, answer: 'likely not: 3 × mode_not_accepted' });
      expect(c.credentials!.text).toContain('WECHAT_MESSAGE_MODE');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('response failure: the nginx error page is recognised', async () => {
    const c = await items('response-failure-nginx', 'response-failure-nginx');
    expect(c.answer!.answer).toMatch(/HTML error page "502 Bad Gateway"/);
    expect(c.upstream!.answer).toMatch(/^no: 2 pushes answered 502\/503\/504 by nginx/);
  });

  it('DNS failure: nothing reached us; the DNS checks are for a person', async () => {
    const c = await items('dns-failure', 'quiet');
    expect(c.reached).toMatchObject({ answered: true, answer: expect.stringMatching(/^yes/) });
    expect(c.dns!.answered).toBe(false);
    expect(c.domain!.answered).toBe(false);
  });

  it('connection timeout: limits and provider are for a person', async () => {
    const c = await items('connection-timeout', 'quiet');
    expect(c.reached!.answered).toBe(true);
    expect(c.capacity!.answered).toBe(false);
    expect(c.provider!.answered).toBe(false);
  });

  it('MarkFail: what came before and the pause', async () => {
    const c = await items('markfail', 'markfail');
    expect(c.before!.answer).toBe('15 at receive: enqueue');
    expect(c.gap!.answer).toBe('75.0 s without a push');
    expect(c.fix!.answered).toBe(false);
  });

  it('third-party kinds start with the platform item', async () => {
    const r = await explainAlert(alertText('ticket-timeout'), logSources('ticket-timeout'));
    expect(r.checklist[0]!.id).toBe('third_party');
  });
});
