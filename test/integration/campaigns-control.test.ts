// Pause, resume and cancel, and the 45009 quota pause that resumes by itself when WeChat's
// quota day turns (an injected clock stands the workers just before Beijing midnight).
import { afterEach, describe, expect, it } from 'vitest';
import { campaignJobId } from '../../src/campaigns/template-jobs.js';
import { createRedis } from '../../src/redis.js';
import { keysOf } from '../../src/redis-keys.js';
import { openids, startCampaignHarness, waitFor, type CampaignHarness } from '../fixtures/campaigns/harness.js';
import { TEST_APP } from '../helpers/receiver.js';

let h: CampaignHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const submit = async (hh: CampaignHarness, users: string[], key?: string) =>
  (await hh.call('/campaigns', { method: 'POST', body: JSON.stringify({ template_id: 'TPL', recipients: users.map((touser) => ({ touser })), ...(key ? { idempotency_key: key } : {}) }) })).json.campaign_id as string;
const status = async (hh: CampaignHarness, id: string) => (await hh.call(`/campaigns/${id}`)).json;
const accepted = (hh: CampaignHarness) => hh.mock.state.templates.stats().accepted;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('pause and resume', () => {
  it('a paused campaign sends nothing more (bar the sends already in flight); resumed, it finishes', async () => {
    h = await startCampaignHarness({ env: { WXGATE_TEMPLATE_RATE: '10' } });
    const id = await submit(h, openids(40, 'pz'));
    await waitFor(() => accepted(h!) >= 3, 'a few sends');
    const paused = await h.call(`/campaigns/${id}/pause`, { method: 'POST' });
    expect(paused.json).toMatchObject({ state: 'paused', pause_reason: 'manual' });
    await sleep(1500); // let the sends that held a rate slot when it paused go out
    const atPause = accepted(h);
    await sleep(1500);
    expect(accepted(h)).toBe(atPause);
    expect(atPause).toBeLessThan(40);
    expect((await status(h, id)).counts.queued).toBe(40 - atPause);
    expect((await h.call(`/campaigns/${id}/resume`, { method: 'POST' })).json.state).toBe('running');
    const done = await waitFor(async () => {
      const s = await status(h!, id);
      return s.state === 'finished' && s;
    }, 'the rest', 30_000);
    expect(done.sent_total).toBe(40);
    expect(accepted(h)).toBe(40);
  });
});

describe('cancel', () => {
  it('stops what has not been sent; what was sent stays sent', async () => {
    h = await startCampaignHarness({ env: { WXGATE_TEMPLATE_RATE: '10' } });
    const id = await submit(h, openids(40, 'cx'));
    await waitFor(() => accepted(h!) >= 3, 'a few sends');
    const r = await h.call(`/campaigns/${id}/cancel`, { method: 'POST' });
    expect(r.json.state).toBe('cancelled');
    await sleep(1500);
    const s = await waitFor(async () => {
      const x = await status(h!, id);
      return x.counts.queued === 0 && x;
    }, 'no queued record left');
    expect(s.counts.cancelled).toBeGreaterThan(0);
    expect(s.sent_total + s.counts.cancelled).toBe(40);
    expect(accepted(h)).toBe(s.sent_total);
    await sleep(1000);
    expect(accepted(h)).toBe(s.sent_total);
    expect((await h.call(`/campaigns/${id}/resume`, { method: 'POST' })).status).toBe(409);
    // The jobs left the queue (cancelled, not parked for later).
    await waitFor(async () => (await h!.queue.getJobCounts('waiting', 'delayed', 'active')).delayed === 0, 'no delayed jobs');
  });
});

describe('a cancelled campaign takes no more recipients', () => {
  it('its key sent again: 409 campaign_cancelled, nothing queued, its Redis state still cancelled', async () => {
    h = await startCampaignHarness({ workers: false });
    const id = await submit(h, openids(5, 'rc'), 'resubmit-after-cancel');
    expect((await h.call(`/campaigns/${id}/cancel`, { method: 'POST' })).status).toBe(200);
    const again = await h.call('/campaigns', { method: 'POST', body: JSON.stringify({ template_id: 'TPL', recipients: [{ touser: 'oAfterCancel0000000000001' }], idempotency_key: 'resubmit-after-cancel' }) });
    expect(again).toMatchObject({ status: 409, json: { error: 'campaign_cancelled' } });
    expect(await h.db.query('SELECT id FROM sends WHERE openid = $1', ['oAfterCancel0000000000001'])).toEqual([]);
    expect(await h.queue.getJob(campaignJobId(id, 'oAfterCancel0000000000001'))).toBeUndefined();
    expect(await h.queue.count()).toBe(5); // the first 5, cancelled on record (no worker runs here to drop them)
    const redis = createRedis(h.config, 'worker');
    expect(await redis.hget(keysOf(h.config).campaign(TEST_APP.appid, id), 'state')).toBe('cancelled');
    redis.disconnect();
  });

  it('cancelled while its list is read: the upload answers 409 campaign_cancelled and the rest of the list is not queued', async () => {
    h = await startCampaignHarness({ workers: false });
    const users = openids(2500, 'mid');
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const list = async function* () {
      for (const [i, openid] of users.entries()) {
        if (i === 1200) await gate;
        yield { openid };
      }
    };
    const submitted = h.service.submitCampaign(TEST_APP.appid, { template_id: 'TPL' }, list(), 'cancel-mid-list');
    submitted.catch(() => undefined);
    const rows = async () => (await h!.db.query<{ n: number }>('SELECT count(*)::int AS n FROM sends'))[0]!.n;
    await waitFor(async () => (await rows()) >= 1000, 'the first chunk');
    const id = (await h.db.query<{ id: string }>('SELECT id FROM campaigns'))[0]!.id;
    expect((await h.call(`/campaigns/${id}/cancel`, { method: 'POST' })).status).toBe(200);
    release();
    // Named in the refusal, with what was queued before the cancel stopped it.
    await expect(submitted).rejects.toMatchObject({ code: 'campaign_cancelled', status: 409, details: { campaign_id: id, recipients: 1000, queued: 1000 } });
    expect(await rows()).toBe(1000);
    expect((await status(h, id)).counts).toMatchObject({ queued: 0, cancelled: 1000 });
  });
});

describe('cancel racing pause or resume', () => {
  it('cancelled is final: sent together, both stores end cancelled, the other action is a 409 campaign_cancelled (or came first), and nothing more is sent', async () => {
    h = await startCampaignHarness({ env: { WXGATE_TEMPLATE_RATE: '2' } });
    const redis = createRedis(h.config, 'worker');
    const inRedis = (id: string) => redis.hget(keysOf(h!.config).campaign(TEST_APP.appid, id), 'state');
    const inPostgres = async (id: string) => (await h!.db.query<{ state: string }>('SELECT state FROM campaigns WHERE id = $1', [id]))[0]!.state;
    try {
      const ids: string[] = [];
      for (const other of ['pause', 'resume'] as const) {
        for (let i = 0; i < 8; i++) {
          const id = await submit(h, openids(20, `race${other}${i}`));
          ids.push(id);
          const [cancel, b] = await Promise.all([h.call(`/campaigns/${id}/cancel`, { method: 'POST' }), h.call(`/campaigns/${id}/${other}`, { method: 'POST' })]);
          expect(cancel.status).toBe(200);
          if (b.status !== 200) expect(b).toMatchObject({ status: 409, json: { error: 'campaign_cancelled' } });
          expect([await inPostgres(id), await inRedis(id), (await status(h, id)).state]).toEqual(['cancelled', 'cancelled', 'cancelled']);
        }
      }
      for (const action of ['pause', 'resume', 'cancel']) expect((await h.call(`/campaigns/${ids[0]}/${action}`, { method: 'POST' })).json.error).toBe('campaign_cancelled');
      await sleep(1000); // the sends admitted before their cancel go out
      const atCancel = accepted(h);
      await sleep(1500);
      expect(accepted(h)).toBe(atCancel);
    } finally {
      redis.disconnect();
    }
  });
});

describe('resume racing the end of a list', () => {
  it('running or accepting is decided from the state as it is: a campaign whose list has been read is never left accepting', async () => {
    h = await startCampaignHarness({ workers: false });
    const appid = TEST_APP.appid;
    for (let i = 0; i < 24; i++) {
      const key = `accepting-race-${i}`;
      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      const list = async function* () {
        for (const openid of openids(5, `acc${i}`)) yield { openid };
        await gate; // the list's end, held back
      };
      const submitted = h.service.submitCampaign(appid, { template_id: 'TPL' }, list(), key);
      const id = await waitFor(async () => (await h!.db.query<{ id: string }>('SELECT id FROM campaigns WHERE idempotency_key = $1', [key]))[0]?.id, 'the campaign row');
      await h.service.control(appid, id, 'pause');
      release();
      await sleep(i % 8);
      await h.service.control(appid, id, 'resume');
      await submitted;
      expect((await h.db.query<{ state: string }>('SELECT state FROM campaigns WHERE id = $1', [id]))[0]!.state).toBe('running');
    }
  });
});

describe('45009: the daily quota', () => {
  it("pauses the account's template sends until WeChat's quota day turns, then resumes by itself, retries unspent", async () => {
    // The workers' clock stands 2 s before 00:00 Beijing when the campaign is submitted.
    let offset = 0;
    h = await startCampaignHarness({ templates: { dailyQuota: 3 }, workers: { templates: { clock: () => Date.now() + offset } } });
    offset = Date.parse('2026-11-22T23:59:58+08:00') - Date.now();
    const users = openids(8, 'q');
    const id = await submit(h, users);
    const pausedLine = await waitFor(() => h!.logs.lines.find((l) => l.outcome === 'quota_paused' && l.until), 'the pause line');
    expect(pausedLine).toMatchObject({ layer: 'send', errcode: 45009, until: '2026-11-22T16:00:00.000Z' });
    const during = await status(h, id);
    expect(during).toMatchObject({ state: 'paused', pause_reason: 'quota' });
    expect(during.counts.failed).toBe(0);
    expect((await h.metrics.registry.getSingleMetric('wxgate_template_quota_paused')!.get()).values[0]).toMatchObject({ value: 1 });
    // WeChat's day turns too: its count starts again (and this test needs no second pause).
    h.mock.state.templates.configure({ dailyQuota: null });
    h.mock.state.templates.resetQuota();
    const done = await waitFor(async () => {
      const s = await status(h!, id);
      return s.state === 'finished' && s;
    }, 'the resume', 20_000);
    expect(done.counts).toMatchObject({ failed: 0, queued: 0 });
    expect(done.sent_total).toBe(8);
    expect(h.logs.lines.filter((l) => l.outcome === 'quota_resumed')).toHaveLength(1);
    expect((await h.metrics.registry.getSingleMetric('wxgate_template_quota_paused')!.get()).values[0]).toMatchObject({ value: 0 });
    // Each recipient was tried against the quota once at most: no retries burned on it.
    const attempts = await h.db.query<{ attempts: number }>('SELECT attempts FROM sends WHERE campaign_id = $1', [id]);
    expect(attempts.every((a) => a.attempts === 1)).toBe(true);
    const calls45009 = h.mock.state.templates.stats().byErrcode['45009'] ?? 0;
    expect(calls45009).toBeLessThanOrEqual(5);
    expect(h.mock.state.templates.stats().accepted).toBe(8);
  });
});
