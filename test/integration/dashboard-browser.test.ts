// The queue dashboard (bull-board under /admin/queues) in a real browser (issue 16): Debian's
// chromium logs in with the dashboard credential, finds the reply that WeChat refused (45015)
// in the outbound queue's failed jobs with its error, retries it from the page, and the reply
// reaches the (mock) WeChat API. Without the credential nothing of the dashboard is served.
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DASHBOARD_PATH } from '../../src/admin/dashboard.js';
import { QUEUE_NAMES } from '../../src/worker/dlq.js';
import { inboundId, newOpenid, settled, startHarness, text, waitFor, type Harness } from '../fixtures/worker/harness.js';
import { launchChromium } from '../helpers/browser.js';
import { startTestReceiver } from '../helpers/receiver.js';

const USER = 'ops';
const PASSWORD = 'dashboard-test-password';
const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

let h: Harness;
let browser: Browser;
beforeAll(async () => {
  h = await startHarness({ env: { WXGATE_DASHBOARD_USER: USER, WXGATE_DASHBOARD_PASSWORD: PASSWORD } });
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  await h?.close();
});

describe('queue dashboard', () => {
  it('logs in, shows the failed reply with its error, retries it from the page, and the reply arrives', { timeout: 60_000 }, async () => {
    const openid = newOpenid();
    h.mock.state.faults.add({ path: 'send', openid, errcode: 45015, count: 1 }); // the 48-hour window, once
    const msg = text(openid, 'retry me');
    expect(await h.push(msg)).toEqual({ status: 200, text: 'success' });
    const jobId = `${inboundId(msg.MsgId as string)}_r0`;
    expect(await (await settled(h.outbound, jobId)).getState()).toBe('failed');

    const context = await browser.newContext({ httpCredentials: { username: USER, password: PASSWORD } });
    // Loopback only: the page's web-font link and anything else off this machine is refused.
    await context.route('**/*', (route) => (new URL(route.request().url()).hostname === '127.0.0.1' ? route.continue() : route.abort()));
    try {
      const page = await context.newPage();
      await page.goto(`${h.t.url}${DASHBOARD_PATH}`);
      // The sidebar lists every queue (the overview's cards link to them too).
      const sidebar = page.locator('#bull-board-sidebar');
      for (const name of QUEUE_NAMES) await expect.poll(() => sidebar.getByRole('link', { name, exact: true }).count()).toBe(1);
      await sidebar.getByRole('link', { name: 'outbound', exact: true }).click();
      await page.getByRole('link', { name: /^failed/i }).click();
      const card = page.locator('[class*="card"]', { has: page.getByText(jobId, { exact: true }) }).first();
      await card.waitFor();
      await expect.poll(() => card.innerText()).toMatch(/wechat_45015/);

      await card.locator('button:has(svg.lucide-refresh-cw)').click();
      await page.getByRole('alertdialog').getByRole('button', { name: 'Confirm' }).click(); // "Are you sure that you want to retry this job?"
      await waitFor(() => h.sentTo(openid).length > 0, 'the retried reply at the mock');
      expect(h.sentTo(openid).map((s) => s.content)).toEqual(['echo: retry me']);
      await waitFor(async () => (await h.outbound.getJobState(jobId)) === 'completed', 'the retried job to be completed');
    } finally {
      await context.close();
    }
  });

  it('refuses every path under /admin/queues without the credential, or with a wrong one', async () => {
    for (const path of [DASHBOARD_PATH, `${DASHBOARD_PATH}/api/queues`, `${DASHBOARD_PATH}/static/images/logo.svg`, `${DASHBOARD_PATH}/api/queues/outbound/retry/failed`]) {
      const none = await fetch(`${h.t.url}${path}`, { method: path.endsWith('failed') ? 'PUT' : 'GET' });
      expect(none.status, path).toBe(401);
      expect(none.headers.get('www-authenticate')).toMatch(/^Basic realm=/);
      const wrong = await fetch(`${h.t.url}${path}`, { headers: { authorization: basic(USER, `${PASSWORD}x`) } });
      expect(wrong.status, path).toBe(401);
      const otherUser = await fetch(`${h.t.url}${path}`, { headers: { authorization: basic('root', PASSWORD) } });
      expect(otherUser.status, path).toBe(401);
    }
    const ok = await fetch(`${h.t.url}${DASHBOARD_PATH}/api/queues`, { headers: { authorization: basic(USER, PASSWORD) } });
    expect(ok.status).toBe(200);
    const { queues } = (await ok.json()) as { queues: { name: string }[] };
    expect(queues.map((q) => q.name).sort()).toEqual([...QUEUE_NAMES].sort());
  });

  it('is off without a dashboard credential', async () => {
    const t = await startTestReceiver();
    try {
      expect((await fetch(`${t.url}${DASHBOARD_PATH}`)).status).toBe(404);
      expect((await fetch(`${t.url}${DASHBOARD_PATH}/api/queues`, { headers: { authorization: basic(USER, PASSWORD) } })).status).toBe(404);
    } finally {
      await t.close();
    }
  });
});
