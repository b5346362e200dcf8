// 100 recipients end to end: a campaign in through the internal API, one template/send each at
// the mock, delivery reports back through wxgate's own receive path (safe mode: signed and
// encrypted as WeChat does), every record in a final state.
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openids, startCampaignHarness, waitFor, type CampaignHarness } from '../fixtures/campaigns/harness.js';

let h: CampaignHarness;
beforeAll(async () => {
  h = await startCampaignHarness({ templates: { templates: { TPL_SHIPPED: ['first', 'order'] } } });
});
afterAll(async () => {
  await h?.close();
});

describe('a campaign of 100 recipients, end to end', () => {
  it('is accepted at once, sent once each, and every delivery report lands on its record', async () => {
    const users = openids(100, 'e2e');
    const blocked = users.slice(0, 3);
    h.mock.state.templates.configure({ blocked });
    const body = JSON.stringify({ template_id: 'TPL_SHIPPED', url: 'https://example.com/o', data: { first: { value: '您的订单已发货' } }, recipients: users.map((u, i) => ({ touser: u, data: { order: { value: `NO.${i}` } } })) });
    const r = await h.call('/campaigns', { method: 'POST', body });
    expect(r.status).toBe(202);
    const id = r.json.campaign_id as string;
    expect(r.json).toMatchObject({ recipients: 100, queued: 100 });

    const done = await waitFor(async () => {
      const s = await h.call(`/campaigns/${id}`);
      return s.json.counts.delivered + s.json.counts.blocked === 100 && s.json;
    }, 'every delivery report', 30_000);
    expect(done).toMatchObject({ state: 'finished', recipients: 100, sent_total: 100, counts: { queued: 0, sent: 0, delivered: 97, blocked: 3, failed: 0 } });
    expect(h.mock.state.templates.stats()).toMatchObject({ accepted: 100, duplicates: 0, repeatedOpenids: 0, reports: { pushed: 100 } });
    const sent = h.mock.state.sent({ path: '/cgi-bin/message/template/send' });
    expect(sent).toHaveLength(100);
    expect(sent[0]!.body).toMatchObject({ template_id: 'TPL_SHIPPED', url: 'https://example.com/o', data: { first: { value: '您的订单已发货' } } });
    const rows = await h.db.query<{ status: string; msgid: string | null; reported_at: Date | null }>('SELECT status, msgid::text, reported_at FROM sends WHERE campaign_id = $1', [id]);
    expect(rows).toHaveLength(100);
    expect(rows.every((x) => x.msgid !== null && x.reported_at !== null)).toBe(true);

    const b = await h.call(`/campaigns/${id}/recipients?status=blocked`);
    expect(b.json.recipients.map((x: { openid: string }) => x.openid).sort()).toEqual([...blocked].sort());
    expect(b.json.recipients[0]).toMatchObject({ status: 'blocked', errmsg: 'failed:user block' });
  });

  it("one `send` line per send with campaign id, openid, errcode and ms, and the report's line beside it", async () => {
    const openid = 'oE2eTraceUser0000000000001';
    const r = await h.call('/campaigns', { method: 'POST', body: JSON.stringify({ template_id: 'TPL_SHIPPED', data: { first: 'a', order: 'b' }, recipients: [{ touser: openid }] }) });
    await waitFor(async () => (await h.call(`/campaigns/${r.json.campaign_id}`)).json.counts.delivered === 1, 'the delivery');
    const send = h.logs.lines.find((l) => l.layer === 'send' && l.openid === openid && l.outcome === 'sent');
    expect(send).toMatchObject({ campaignId: r.json.campaign_id, errcode: 0, appid: h.config.apps[0]!.appid });
    expect(typeof send!.ms).toBe('number');
    expect(h.logs.lines.find((l) => l.layer === 'send' && l.openid === openid && l.outcome === 'delivered')).toMatchObject({ msgid: send!.msgid });
    expect(h.logs.lines.find((l) => l.layer === 'receive' && l.openid === openid)).toMatchObject({ mode: 'aes', outcome: 'acked' });

    // wxgate trace --openid reads those lines: the notification beside the user's other messages.
    const dir = await mkdtemp(join(tmpdir(), 'wxgate-trace-'));
    try {
      const file = join(dir, 'wxgate.log');
      await writeFile(file, h.logs.raw.join(''));
      const { stdout } = await promisify(execFile)('node', ['bin/wxgate.js', 'trace', '--openid', openid, '--json', file], { env: { ...process.env, LOG_LEVEL: 'silent' } });
      const timelines = (JSON.parse(stdout) as { messages: { identity: Record<string, unknown>; rows: { layer: string; outcome: string }[] }[] }).messages;
      const notification = timelines.find((t) => t.identity.campaignId === r.json.campaign_id);
      expect(notification?.rows).toEqual(expect.arrayContaining([expect.objectContaining({ layer: 'send', outcome: 'sent errcode 0' })]));
      const report = timelines.find((t) => t.identity.event === 'TEMPLATESENDJOBFINISH');
      expect(report?.rows.map((x) => x.layer)).toEqual(expect.arrayContaining(['receive', 'worker', 'send']));
      const text = (await promisify(execFile)('node', ['bin/wxgate.js', 'trace', '--openid', openid, file], { env: { ...process.env, LOG_LEVEL: 'silent' } })).stdout;
      expect(text).toContain(`template message of campaign ${r.json.campaign_id}`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
