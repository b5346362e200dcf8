// The message centre's internal API against real Redis, PostgreSQL and the mock: single
// messages and their idempotency key, campaigns as JSON / NDJSON / CSV, WeChat's refusals on
// record, per-user history, recipients paged and as CSV, and 503 without a database.
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BEARER, openids, startCampaignHarness, waitFor, type CampaignHarness } from '../fixtures/campaigns/harness.js';

const TEMPLATE_PATH = '/cgi-bin/message/template/send';

let h: CampaignHarness;
const finished = (id: string) => waitFor(async () => {
  const s = await h.call(`/campaigns/${id}`);
  return s.json.state === 'finished' && s.json;
}, `campaign ${id} to finish`);

beforeAll(async () => {
  h = await startCampaignHarness({ templates: { templates: { TPL_A: ['first', 'remark'], TPL_B: [] }, unfollowed: ['oGoneUser000000000000000001'] } });
});
afterAll(async () => {
  await h?.close();
});

describe('a JSON campaign over its size limit', () => {
  it('is a 413 body_too_large that reaches the client, not a reset connection', async () => {
    const body = `{"template_id":"TPL_B","recipients":[],"pad":"${'a'.repeat(17 * 1024 * 1024)}"}`;
    const res = await h.call('/campaigns', { method: 'POST', body });
    expect(res.status).toBe(413);
    expect(res.json).toMatchObject({ error: 'body_too_large' });
    // The next request is answered at once (it timed out with 408 behind the half-read body).
    expect((await h.call('/campaigns/cnosuchcampaign')).status).toBe(404);
    const single = await h.call('/messages/template', { method: 'POST', body: JSON.stringify({ touser: 'oBig', template_id: 'TPL_B', pad: 'a'.repeat(200 * 1024) }) });
    expect(single.status).toBe(413);
    expect((await h.call('/campaigns/cnosuchcampaign')).status).toBe(404);
  });
});

describe('POST /messages/template: one message', () => {
  it('202 {id, status}; the same Idempotency-Key twice queues one send', async () => {
    const body = JSON.stringify({ touser: 'oSingleUser0000000000000001', template_id: 'TPL_A', data: { first: { value: 'hi' }, remark: { value: 'r' } } });
    const a = await h.call('/messages/template', { method: 'POST', body, headers: { 'idempotency-key': 'order-42-shipped' } });
    const b = await h.call('/messages/template', { method: 'POST', body, headers: { 'idempotency-key': 'order-42-shipped' } });
    expect(a.status).toBe(202);
    expect(a.json).toMatchObject({ id: expect.stringMatching(/^t/), status: 'queued' });
    expect(b.status).toBe(202);
    expect(b.json.id).toBe(a.json.id);
    const rec = await waitFor(async () => {
      const r = await h.call(`/messages/template/${a.json.id}`);
      return r.json.status === 'delivered' && r.json;
    }, 'the delivery');
    expect(rec).toMatchObject({ openid: 'oSingleUser0000000000000001', errcode: 0, attempts: 1, msgid: expect.stringMatching(/^\d+$/) });
    expect(h.mock.state.sent({ touser: 'oSingleUser0000000000000001', path: TEMPLATE_PATH })).toHaveLength(1);
    // client_msg_id carries the same id to WeChat.
    expect(h.mock.state.sent({ touser: 'oSingleUser0000000000000001', path: TEMPLATE_PATH })[0]!.body).toMatchObject({ client_msg_id: a.json.id });
  });

  it('the same Idempotency-Key with another message: 409 idempotency_key_reused, and the first stays the only send', async () => {
    const key = { 'idempotency-key': 'order-43-shipped' };
    const first = { touser: 'oReusedKey000000000000001', template_id: 'TPL_B', data: { first: { value: 'a' } } };
    const a = await h.call('/messages/template', { method: 'POST', body: JSON.stringify(first), headers: key });
    expect(a.status).toBe(202);
    for (const other of [{ ...first, touser: 'oReusedKey000000000000002' }, { ...first, data: { first: { value: 'b' } } }, { ...first, template_id: 'TPL_A' }, { ...first, url: 'https://example.com/x' }]) {
      const b = await h.call('/messages/template', { method: 'POST', body: JSON.stringify(other), headers: key });
      expect(b.status).toBe(409);
      expect(b.json.error).toBe('idempotency_key_reused');
    }
    // The same payload again (its keys in another order) is the first message.
    const again = await h.call('/messages/template', { method: 'POST', body: JSON.stringify({ data: first.data, template_id: 'TPL_B', touser: first.touser }), headers: key });
    expect(again).toMatchObject({ status: 202, json: { id: a.json.id } });
    await waitFor(async () => (await h.call(`/messages/template/${a.json.id}`)).json.status === 'delivered', 'the delivery');
    expect(h.mock.state.sent({ touser: 'oReusedKey000000000000001', path: TEMPLATE_PATH })).toHaveLength(1);
    expect(h.mock.state.sent({ touser: 'oReusedKey000000000000002', path: TEMPLATE_PATH })).toHaveLength(0);
  });

  it('an Idempotency-Key over 200 characters is a 400 idempotency_key_invalid, not cut short (in the header or the body)', async () => {
    const long = 'k'.repeat(200);
    const body = (extra: Record<string, unknown> = {}) => JSON.stringify({ touser: 'oLongKey00000000000000001', template_id: 'TPL_B', data: {}, ...extra });
    expect((await h.call('/messages/template', { method: 'POST', body: body(), headers: { 'idempotency-key': long } })).status).toBe(202);
    for (const r of [
      await h.call('/messages/template', { method: 'POST', body: body(), headers: { 'idempotency-key': `${long}1` } }),
      await h.call('/messages/template', { method: 'POST', body: body({ idempotency_key: `${long}2` }) }),
      await h.call('/campaigns', { method: 'POST', body: JSON.stringify({ template_id: 'TPL_B', recipients: [{ touser: 'oLongKey00000000000000001' }] }), headers: { 'idempotency-key': `${long}3` } }),
      await h.call('/campaigns?template_id=TPL_B', { method: 'POST', body: 'openid\noLongKey00000000000000001\n', type: 'text/csv', headers: { 'idempotency-key': `${long}4` } }),
    ]) {
      expect(r.status).toBe(400);
      expect(r.json.error).toBe('idempotency_key_invalid');
    }
  });

  it.each([
    ['43004, not following', { touser: 'oGoneUser000000000000000001', template_id: 'TPL_B', data: {} }, 43004],
    ['40037, unknown template', { touser: 'oBadTemplate00000000000001', template_id: 'TPL_NOPE', data: {} }, 40037],
    ['47003, data without a key', { touser: 'oBadData000000000000000001', template_id: 'TPL_A', data: { first: { value: 'x' } } }, 47003],
  ])('%s: failed at once, errcode and errmsg on record, one call', async (_name, payload, errcode) => {
    const a = await h.call('/messages/template', { method: 'POST', body: JSON.stringify(payload) });
    const rec = await waitFor(async () => {
      const r = await h.call(`/messages/template/${a.json.id}`);
      return r.json.status === 'failed' && r.json;
    }, 'the failure');
    expect(rec).toMatchObject({ errcode, attempts: 1, msgid: null, errmsg: expect.any(String) });
  });

  it('a token outage waits, it is not a failure: refused token fetches (40164) spend no attempt, the message goes out once the token is back', async () => {
    h.mock.state.expire(); // the stored token is rejected at the next call: the keeper must fetch
    h.mock.state.faults.add({ path: 'stable_token', errcode: 40164, errmsg: 'invalid ip', count: 2 });
    const a = await h.call('/messages/template', { method: 'POST', body: JSON.stringify({ touser: 'oTokenWait0000000000000001', template_id: 'TPL_B', data: {} }) });
    const rec = await waitFor(async () => {
      const r = await h.call(`/messages/template/${a.json.id}`);
      return r.json.msgid !== null && r.json;
    }, 'the send after the outage', 30_000);
    expect(rec).toMatchObject({ errcode: 0, attempts: 1 });
    expect(h.logs.lines.some((l) => l.msg === 'send waiting: access_token unavailable' && l.openid === 'oTokenWait0000000000000001')).toBe(true);
  });

  it('400 for a payload WeChat could not take', async () => {
    const r = await h.call('/messages/template', { method: 'POST', body: JSON.stringify({ touser: 'bad openid!', template_id: 'T', data: {} }) });
    expect(r.status).toBe(400);
    expect(r.json.error).toBe('bad_request');
  });
});

describe('POST /campaigns: the recipient list in three formats', () => {
  it('NDJSON: settings on the first line, one recipient per line; the same key twice is the same campaign', async () => {
    const users = openids(30, 'nd');
    const body = [JSON.stringify({ template_id: 'TPL_A', data: { first: '通知', remark: '谢谢' } }), ...users.map((u, i) => JSON.stringify({ touser: u, data: { first: `hi ${i}` } })), ''].join('\n');
    const a = await h.call('/campaigns', { method: 'POST', body, type: 'application/x-ndjson', headers: { 'idempotency-key': 'nd-campaign-1' } });
    expect(a.status).toBe(202);
    expect(a.json).toMatchObject({ recipients: 30, queued: 30, created: true });
    const b = await h.call('/campaigns', { method: 'POST', body, type: 'application/x-ndjson', headers: { 'idempotency-key': 'nd-campaign-1' } });
    expect(b.json).toMatchObject({ campaign_id: a.json.campaign_id, recipients: 30, created: false });
    const done = await finished(a.json.campaign_id);
    expect(done.sent_total).toBe(30);
    for (const u of users) expect(h.mock.state.sent({ touser: u, path: TEMPLATE_PATH })).toHaveLength(1);
    expect(h.mock.state.sent({ touser: users[7]!, path: TEMPLATE_PATH })[0]!.body).toMatchObject({ data: { first: { value: 'hi 7' }, remark: { value: '谢谢' } } });
  });

  it('the same key with other settings (template, url, miniprogram, shared data): 409 idempotency_key_reused; with other recipients: they are added', async () => {
    const key = { 'idempotency-key': 'reused-campaign-1' };
    const settings = { template_id: 'TPL_B', url: 'https://example.com/a', miniprogram: { appid: 'wxmini', pagepath: 'p/a' }, data: { first: '一' } };
    const submit = (s: Record<string, unknown>, users: string[]) => h.call('/campaigns', { method: 'POST', body: JSON.stringify({ ...s, recipients: users.map((touser) => ({ touser })) }), headers: key });
    const a = await submit(settings, ['oReusedCamp00000000000001']);
    expect(a.status).toBe(202);
    for (const other of [{ template_id: 'TPL_A' }, { url: 'https://example.com/b' }, { url: undefined }, { miniprogram: { appid: 'wxmini', pagepath: 'p/b' } }, { data: { first: '二' } }, { data: { first: '一', remark: 'r' } }]) {
      const b = await submit({ ...settings, ...other }, ['oReusedCamp00000000000002']);
      expect(b.status).toBe(409);
      expect(b.json.error).toBe('idempotency_key_reused');
    }
    // The same settings as NDJSON's first line: the same campaign, one more recipient.
    const nd = [JSON.stringify(settings), JSON.stringify({ touser: 'oReusedCamp00000000000003' }), ''].join('\n');
    const c = await h.call('/campaigns', { method: 'POST', body: nd, type: 'application/x-ndjson', headers: key });
    expect(c).toMatchObject({ status: 202, json: { campaign_id: a.json.campaign_id, recipients: 2, queued: 1, created: false } });
    const done = await finished(a.json.campaign_id);
    expect(done.sent_total).toBe(2);
    expect(h.mock.state.sent({ touser: 'oReusedCamp00000000000002', path: TEMPLATE_PATH })).toHaveLength(0);
  });

  it('CSV: settings in the query, a column per data key; failures listed with errcode, paged and as CSV', async () => {
    const users = openids(12, 'csv');
    const csv = ['openid,first,remark', ...users.map((u, i) => `${u},"Dear ${i}, hello",r${i}`), 'oGoneUser000000000000000001,x,y'].join('\r\n');
    const a = await h.call(`/campaigns?template_id=TPL_A`, { method: 'POST', body: csv, type: 'text/csv' });
    expect(a.status).toBe(202);
    expect(a.json.recipients).toBe(13);
    const done = await finished(a.json.campaign_id);
    expect(done.counts.failed).toBe(1);
    expect(h.mock.state.sent({ touser: users[3]!, path: TEMPLATE_PATH })[0]!.body).toMatchObject({ data: { first: { value: 'Dear 3, hello' } } });
    const failed = await h.call(`/campaigns/${a.json.campaign_id}/recipients?status=failed`);
    expect(failed.json.recipients).toEqual([expect.objectContaining({ openid: 'oGoneUser000000000000000001', status: 'failed', errcode: 43004 })]);
    const page1 = await h.call(`/campaigns/${a.json.campaign_id}/recipients?limit=5`);
    expect(page1.json.recipients).toHaveLength(5);
    const page2 = await h.call(`/campaigns/${a.json.campaign_id}/recipients?limit=5&after=${page1.json.next}`);
    expect(page2.json.recipients[0].openid > page1.json.recipients[4].openid).toBe(true);
    const asCsv = await h.call(`/campaigns/${a.json.campaign_id}/recipients?status=failed&format=csv`);
    expect(asCsv.type).toMatch(/^text\/csv/);
    expect(asCsv.text.trim().split('\n')).toEqual(['openid,status,errcode,errmsg,msgid,attempts,sent_at', expect.stringMatching(/^oGoneUser000000000000000001,failed,43004,/)]);
  });

  it.each(['abc', '1.5', '-5', '0', '1e3', '   '])('limit=%j: 400 limit_invalid on both paged routes', async (limit) => {
    const c = await h.call('/campaigns', { method: 'POST', body: JSON.stringify({ template_id: 'TPL_B', recipients: [{ touser: 'oLimitUser000000000000001' }], idempotency_key: 'limit-campaign' }) });
    for (const path of [`/campaigns/${c.json.campaign_id}/recipients?limit=${encodeURIComponent(limit)}`, `/messages?openid=oLimitUser000000000000001&limit=${encodeURIComponent(limit)}`]) {
      const r = await h.call(path);
      expect(r.status).toBe(400);
      expect(r.json.error).toBe('limit_invalid');
    }
  });

  it('a limit above the maximum is cut to it, not refused', async () => {
    const r = await h.call('/messages?openid=oLimitUser000000000000001&limit=99999999999999999999');
    expect(r.status).toBe(200);
  });

  it('errcode 0 without a msgid: that send is on record with msgid null, and the rest of its batch is written', async () => {
    const users = openids(6, 'nomsgid');
    h.mock.state.faults.add({ path: 'template', openid: users[2]!, errcode: 0, errmsg: 'ok' });
    try {
      const a = await h.call('/campaigns', { method: 'POST', body: JSON.stringify({ template_id: 'TPL_B', recipients: users.map((touser) => ({ touser })) }) });
      const done = await finished(a.json.campaign_id);
      expect(done).toMatchObject({ sent_total: 6, counts: { queued: 0, failed: 0 } });
      const rows = await h.db.query<{ openid: string; status: string; errcode: number; msgid: string | null }>('SELECT openid, status, errcode, msgid::text AS msgid FROM sends WHERE campaign_id = $1 ORDER BY openid', [a.json.campaign_id]);
      expect(rows.find((r) => r.openid === users[2])).toMatchObject({ status: 'sent', errcode: 0, msgid: null });
      expect(rows.filter((r) => r.msgid !== null)).toHaveLength(5);
      expect(h.logs.lines.filter((l) => l.msg === 'record batch not written' || l.msg === 'record not written')).toEqual([]);
    } finally {
      h.mock.state.faults.clear();
    }
  });

  it('GET /messages?openid=: what one user was sent, across campaigns and single messages', async () => {
    const u = 'oHistoryUser00000000000001';
    for (const tag of ['h1', 'h2']) {
      const r = await h.call('/campaigns', { method: 'POST', body: JSON.stringify({ template_id: 'TPL_B', recipients: [{ touser: u }], idempotency_key: tag }) });
      await finished(r.json.campaign_id);
    }
    const r = await h.call(`/messages?openid=${u}`);
    expect(r.json.messages).toHaveLength(2);
    expect(new Set(r.json.messages.map((m: { campaign_id: string }) => m.campaign_id)).size).toBe(2);
  });

  it('NDJSON written in two pieces split inside a character (订): the recipient keeps it whole', async () => {
    const body = Buffer.from(`${JSON.stringify({ template_id: 'TPL_B' })}\n${JSON.stringify({ touser: 'oSplitUtf8000000000000001', data: { keyword1: '订单已发货' } })}\n`);
    const at = body.indexOf(Buffer.from('订')) + 1;
    const answer = await new Promise<{ status: number; json: any }>((resolve, reject) => {
      const req = request(`${h.api}/campaigns`, { method: 'POST', headers: { authorization: `Bearer ${BEARER}`, 'content-type': 'application/x-ndjson' } }, (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode!, json: JSON.parse(text) }));
      });
      req.on('error', reject);
      req.write(body.subarray(0, at));
      setTimeout(() => req.end(body.subarray(at)), 100); // a chunk of its own on the server
    });
    expect(answer.status).toBe(202);
    expect(await h.db.query('SELECT data FROM sends WHERE campaign_id = $1', [answer.json.campaign_id])).toEqual([{ data: { keyword1: { value: '订单已发货' } } }]);
  });

  it('a bad line is refused with its number', async () => {
    const r = await h.call('/campaigns', { method: 'POST', body: `{"template_id":"TPL_B"}\n{"touser":"ok0000000000000000001"}\nnot json\n`, type: 'application/x-ndjson' });
    expect(r.status).toBe(400);
    expect(r.json.message).toMatch(/line 3/);
  });

  it('a malformed CSV is a 400 bad_request at whatever stage it fails, and the process lives on', async () => {
    const campaigns = async () => (await h.db.query<{ n: number }>('SELECT count(*)::int AS n FROM campaigns'))[0]!.n;
    const before = await campaigns();
    // Broken from the first row: refused before any campaign exists.
    for (const csv of ['openid,first\nonlyone\n', 'openid\n"o1\n']) {
      const r = await h.call('/campaigns?template_id=TPL_B', { method: 'POST', body: csv, type: 'text/csv' });
      expect(r.status).toBe(400);
      expect(r.json.error).toBe('bad_request');
    }
    expect(await campaigns()).toBe(before);
    // Broken further down, while the campaign is being created: the parser failed with nobody reading yet.
    const late = await h.call('/campaigns?template_id=TPL_B', { method: 'POST', body: 'openid\noLateBad00000000000001\noLateBad00000000000002\n"o3\n', type: 'text/csv' });
    expect(late.status).toBe(400);
    expect(late.json.error).toBe('bad_request');
    // Refused for another reason before its list is read (the key names a campaign of another
    // template): that answer, and the broken rest of the body is dropped unread.
    const key = { 'idempotency-key': 'csv-refused-early' };
    expect((await h.call('/campaigns?template_id=TPL_B', { method: 'POST', body: 'openid\noEarly0000000000000001\n', type: 'text/csv', headers: key })).status).toBe(202);
    const early = await h.call('/campaigns?template_id=TPL_A', { method: 'POST', body: 'openid\noEarly0000000000000001\noEarly0000000000000002\n"o3\n', type: 'text/csv', headers: key });
    expect(early.status).toBe(409);
    expect(early.json.error).toBe('idempotency_key_reused');
    await new Promise((r) => setTimeout(r, 100)); // the parser's error, had it no listener, would have ended the process by now
    expect((await h.call('/campaigns/cnothere')).status).toBe(404);
  });

  it('404 for a campaign of another account or none', async () => {
    expect((await h.call('/campaigns/cnothere')).status).toBe(404);
  });
});

describe('without WXGATE_DATABASE_URL', () => {
  it('the campaign routes answer 503 naming the variable; the rest of wxgate runs', async () => {
    const bare = await startCampaignHarness({ env: { WXGATE_DATABASE_URL: '' } });
    try {
      for (const [path, method] of [['/campaigns', 'POST'], ['/campaigns/cx', 'GET'], ['/messages/template', 'POST'], ['/messages?openid=o1', 'GET']] as const) {
        const r = await bare.call(path, { method, body: method === 'POST' ? '{}' : undefined });
        expect(r.status).toBe(503);
        expect(r.json).toMatchObject({ error: 'database_not_configured', message: expect.stringContaining('WXGATE_DATABASE_URL') });
      }
      expect((await bare.call('/access-token')).status).toBe(200);
      expect(bare.runtimes[0]!.templates).toBeUndefined();
    } finally {
      await bare.close();
    }
  });
});
