// An upload that ends before its list does, after its campaign was created and its first
// thousand recipients queued: a line refused part-way, or a client gone mid-body. The answer
// names the campaign (there is no other way to learn a keyless campaign's id), and the campaign
// is accepted with what was queued, so it finishes once those are sent instead of staying
// `accepting` for good.
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BEARER, openids, startCampaignHarness, waitFor, type CampaignHarness } from '../fixtures/campaigns/harness.js';

const TEMPLATE_PATH = '/cgi-bin/message/template/send';

let h: CampaignHarness;
beforeAll(async () => {
  h = await startCampaignHarness();
});
afterAll(async () => {
  await h?.close();
});

const settingsLine = JSON.stringify({ template_id: 'TPL' });
const lines = (users: string[]) => users.map((touser) => JSON.stringify({ touser }));
/** Settings on line 1, the users on lines 2…, then `after`. */
const ndjson = (users: string[], after: string[] = []) => [settingsLine, ...lines(users), ...after, ''].join('\n');
const finished = (id: string) =>
  waitFor(async () => {
    const s = await h.call(`/campaigns/${id}`);
    return s.json.state === 'finished' && s.json;
  }, `campaign ${id} to finish`);
const sentTo = (openid: string) => h.mock.state.sent({ touser: openid, path: TEMPLATE_PATH }).length;

describe('a client gone mid-body', () => {
  it('the campaign is accepted with the recipients queued before the connection closed, and finishes', async () => {
    const users = openids(1200, 'cutabort');
    const key = 'cut-by-disconnect';
    const req = request(`${h.api}/campaigns`, { method: 'POST', headers: { authorization: `Bearer ${BEARER}`, 'content-type': 'application/x-ndjson', 'idempotency-key': key } });
    req.on('error', () => undefined); // the reset it is about to cause
    // 1,200 whole lines and half of one more: the first thousand are queued, the rest never is.
    req.write(`${[settingsLine, ...lines(users)].join('\n')}\n{"touser":"oHalfA`);
    const rows = async () => (await h.db.query<{ n: number }>('SELECT count(*)::int AS n FROM sends s JOIN campaigns c ON c.id = s.campaign_id WHERE c.idempotency_key = $1', [key]))[0]!.n;
    await waitFor(async () => (await rows()) >= 1000, 'the first chunk on record');
    req.destroy();
    const id = (await h.db.query<{ id: string }>('SELECT id FROM campaigns WHERE idempotency_key = $1', [key]))[0]!.id;
    const done = await finished(id);
    expect(done).toMatchObject({ recipients: 1000, list_incomplete: true, sent_total: 1000, counts: { queued: 0 } });
    expect(await rows()).toBe(1000);
    expect(sentTo(users[1100]!)).toBe(0);
  });
});
