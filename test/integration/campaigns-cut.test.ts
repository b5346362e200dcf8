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

describe('a list refused part-way', () => {
  it('without a key: the 400 names the campaign and what was queued; the campaign finishes with those, its list marked incomplete', async () => {
    const users = openids(1500, 'cutnokey');
    // 1,500 recipients on lines 2–1501, a bad one on line 1502: the first thousand were queued as they arrived.
    const r = await h.call('/campaigns', { method: 'POST', body: ndjson(users, [JSON.stringify({ touser: 'not an openid!' })]), type: 'application/x-ndjson' });
    expect(r.status).toBe(400);
    expect(r.json).toMatchObject({ error: 'bad_request', campaign_id: expect.stringMatching(/^c/), recipients: 1000, queued: 1000 });
    const id = r.json.campaign_id as string;
    const done = await finished(id);
    expect(done).toMatchObject({ recipients: 1000, list_incomplete: true, sent_total: 1000, counts: { queued: 0 }, eta_s: null, finished_at: expect.any(String) });
    expect(sentTo(users[999]!)).toBe(1);
    expect(sentTo(users[1000]!)).toBe(0);
    const [row] = await h.db.query<{ state: string; accepted_at: Date | null }>('SELECT state, accepted_at FROM campaigns WHERE id = $1', [id]);
    expect(row).toMatchObject({ state: 'running', accepted_at: expect.any(Date) });
  });

  it('without a key, the rest sent to the campaign it named (POST …/campaigns/:id/recipients): added, nobody sent twice', async () => {
    const users = openids(1500, 'cutrest');
    const cut = await h.call('/campaigns', { method: 'POST', body: ndjson(users, [JSON.stringify({ touser: 'not an openid!' })]), type: 'application/x-ndjson' });
    const id = cut.json.campaign_id as string;
    expect(cut.json).toMatchObject({ error: 'bad_request', queued: 1000 });
    await finished(id);
    // The same file corrected, its settings line and all.
    const rest = await h.call(`/campaigns/${id}/recipients`, { method: 'POST', body: ndjson(users), type: 'application/x-ndjson' });
    expect(rest).toMatchObject({ status: 202, json: { campaign_id: id, recipients: 1500, queued: 500, created: false } });
    const done = await finished(id);
    expect(done).toMatchObject({ recipients: 1500, list_incomplete: false, sent_total: 1500 });
    for (const u of [users[0]!, users[999]!, users[1000]!, users[1499]!]) expect(sentTo(u)).toBe(1);
    // Settings other than its own, a key naming another campaign, no such campaign, a cancelled one.
    const one = [JSON.stringify({ touser: 'oCutRestLate0000000000001' }), ''].join('\n');
    const other = await h.call(`/campaigns/${id}/recipients`, { method: 'POST', body: `${JSON.stringify({ template_id: 'TPL_OTHER' })}\n${one}`, type: 'application/x-ndjson' });
    expect(other).toMatchObject({ status: 409, json: { error: 'campaign_settings_differ' } });
    const keyed = await h.call(`/campaigns/${id}/recipients`, { method: 'POST', body: one, type: 'application/x-ndjson', headers: { 'idempotency-key': 'another-campaign' } });
    expect(keyed).toMatchObject({ status: 409, json: { error: 'idempotency_key_reused' } });
    expect((await h.call('/campaigns/cnothere/recipients', { method: 'POST', body: one, type: 'application/x-ndjson' })).status).toBe(404);
    expect((await h.call(`/campaigns/${id}/cancel`, { method: 'POST' })).status).toBe(200);
    const afterCancel = await h.call(`/campaigns/${id}/recipients`, { method: 'POST', body: one, type: 'application/x-ndjson' });
    expect(afterCancel).toMatchObject({ status: 409, json: { error: 'campaign_cancelled' } });
    expect(await h.db.query('SELECT id FROM sends WHERE openid = $1', ['oCutRestLate0000000000001'])).toEqual([]);
  });

  it('with a key: the corrected list sent again under it adds the rest, nothing is sent twice, and the list is no longer marked incomplete', async () => {
    const users = openids(1500, 'cutkey');
    const key = { 'idempotency-key': 'cut-then-resent' };
    const cut = await h.call('/campaigns', { method: 'POST', body: ndjson(users, [JSON.stringify({ touser: 'not an openid!' })]), type: 'application/x-ndjson', headers: key });
    expect(cut.json).toMatchObject({ error: 'bad_request', recipients: 1000, queued: 1000 });
    const again = await h.call('/campaigns', { method: 'POST', body: ndjson(users), type: 'application/x-ndjson', headers: key });
    expect(again).toMatchObject({ status: 202, json: { campaign_id: cut.json.campaign_id, recipients: 1500, created: false } }); // queued: those not yet sent, again (under the same job ids)
    const done = await finished(cut.json.campaign_id);
    expect(done).toMatchObject({ recipients: 1500, list_incomplete: false, sent_total: 1500 });
    for (const u of [users[0]!, users[999]!, users[1000]!, users[1499]!]) expect(sentTo(u)).toBe(1);
  });
});

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
