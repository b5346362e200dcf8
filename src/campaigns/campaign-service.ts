// The message centre as the internal API (and the CLI through it) sees it: take a single
// template message or a campaign, report progress, pause / resume / cancel. Recipients are
// queued a chunk at a time as the body streams in (list-ingest.ts), so a list read again (a
// second submission with the same Idempotency-Key or to the campaign's id, or one resumed after
// a crash) queues nothing twice.
import { Job, Queue } from 'bullmq';
import type { RedisConnection } from '../redis.js';
import type { Config } from '../config.js';
import { ConflictError, RequestError, WxgateError } from '../errors.js';
import { campaignDefinition, canonicalJson, checkIdempotencyKey, reusedKey } from './idempotency.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import { createRedis } from '../redis.js';
import { cancelledError, createCampaignControl } from './campaign-control.js';
import { createCampaignMeta, type CampaignMeta } from './campaign-meta.js';
import { createListIngest } from './list-ingest.js';
import { createDatabase, type Database } from './database.js';
import { migrateUntilDone } from './migrate.js';
import { createRecords, type CampaignRow, type Records, type SendRow } from './records.js';
import type { CampaignSettings, Recipient } from './recipients-parse.js';
import { isSendStatus, type SendStatus } from './send-status.js';
import { keysOf } from '../redis-keys.js';
import { accountQueues, queueSpots } from '../queue/account-queues.js';
import { campaignId, singleJobId, templateJobOptions, TEMPLATE_QUEUE, type SingleJobData, type TemplateJobData, type TemplatePayload } from './template-jobs.js';

export interface CampaignStatus {
  campaign_id: string;
  appid: string;
  template_id: string;
  state: 'accepting' | 'running' | 'paused' | 'cancelled' | 'finished';
  pause_reason: string | null;
  paused_until: string | null;
  recipients: number;
  /** Its last upload ended before the list did (refused part-way, or the connection closed): `recipients` is what was queued. */
  list_incomplete: boolean;
  counts: Record<SendStatus, number>;
  /** Accepted by WeChat (a msgid), delivery reported or not. */
  sent_total: number;
  sends_per_second: number;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  eta_s: number | null;
}

export interface CampaignService {
  /** Applies the migrations, trying again while PostgreSQL is away; the routes answer 503 until then. */
  start(): Promise<void>;
  close(): Promise<void>;
  /** Past the shutdown deadline: drop the connections. */
  abandon(): void;
  sendSingle(appid: string, body: Record<string, unknown>, idempotencyKey?: string): Promise<{ id: string; status: SendStatus; created: boolean }>;
  submitCampaign(appid: string, settings: CampaignSettings, recipients: AsyncIterable<Recipient>, idempotencyKey?: string): Promise<{ campaign_id: string; recipients: number; queued: number; created: boolean }>;
  /** More recipients for the campaign `id` (the rest of a list cut short, a campaign sent without a key); settings, if given, must be its own. */
  addRecipients(appid: string, id: string, settings: CampaignSettings, recipients: AsyncIterable<Recipient>, idempotencyKey?: string): Promise<{ campaign_id: string; recipients: number; queued: number; created: boolean }>;
  status(appid: string, id: string): Promise<CampaignStatus>;
  recipients(appid: string, id: string, options: { status?: string; after?: string; limit?: number }): Promise<{ recipients: ReturnType<typeof sendView>[]; next: string | null }>;
  messages(appid: string, openid: string, limit?: number): Promise<ReturnType<typeof sendView>[]>;
  message(appid: string, id: string): Promise<ReturnType<typeof sendView>>;
  control(appid: string, id: string, action: 'pause' | 'resume' | 'cancel'): Promise<CampaignStatus>;
  /** /metrics: recent campaigns' recipients by status. */
  collector(metrics: Metrics): () => Promise<void>;
  readonly db: Database;
}

export interface CampaignServiceOptions {
  chunkSize?: number;
  chunksInFlight?: number;
  backoffMs?: number;
}

const DONE = { pause: 'paused', resume: 'resumed', cancel: 'cancelled' } as const;
const iso = (d: Date | null | undefined) => (d ? d.toISOString() : null);
const notFound = (what: string) => new WxgateError('not_found', `${what} not found`, { status: 404, expose: true });

export function sendView(r: SendRow) {
  return {
    id: r.id,
    campaign_id: r.campaign_id,
    openid: r.openid,
    template_id: r.template_id,
    status: r.status,
    errcode: r.errcode,
    errmsg: r.errmsg,
    msgid: r.msgid,
    attempts: r.attempts,
    data: r.data,
    queued_at: iso(r.queued_at),
    sent_at: iso(r.sent_at),
    reported_at: iso(r.reported_at),
  };
}

function singlePayload(body: Record<string, unknown>): { openid: string; payload: TemplatePayload } {
  const { touser, template_id, url, miniprogram, data } = body;
  if (typeof touser !== 'string' || !/^[A-Za-z0-9_-]{1,64}$/.test(touser)) throw new RequestError('bad_request', 'touser must be an openid');
  if (typeof template_id !== 'string' || template_id === '') throw new RequestError('bad_request', 'template_id is required');
  if (data === null || typeof data !== 'object' || Array.isArray(data)) throw new RequestError('bad_request', 'data must be an object of {"key": {"value": "…"}}');
  return {
    openid: touser,
    payload: {
      template_id,
      data: data as TemplatePayload['data'],
      ...(typeof url === 'string' ? { url } : {}),
      ...(miniprogram && typeof miniprogram === 'object' ? { miniprogram: miniprogram as TemplatePayload['miniprogram'] } : {}),
    },
  };
}

export function createCampaignService({ config, logger }: { config: Config; logger: Logger }, { chunkSize = 1000, chunksInFlight = 3, backoffMs = 1000 }: CampaignServiceOptions = {}): CampaignService {
  const { databaseUrl, databaseSchema } = config.campaigns;
  if (!databaseUrl) throw new Error('createCampaignService needs WXGATE_DATABASE_URL');
  const log = logger.child({ layer: 'campaign' });
  const db = createDatabase({ logger }, { url: databaseUrl, schema: databaseSchema, max: 4 });
  const records: Records = createRecords({ db });
  // Worker settings: a submission waits out a Redis reconnect instead of failing half-way.
  const redis: RedisConnection = createRedis(config, 'worker');
  redis.on('error', (err) => log.debug({ err: err.message }, 'redis connection error'));
  const keys = keysOf(config);
  const queues = accountQueues(keys, queueSpots(keys, config.apps), (prefix) => {
    const q = new Queue<TemplateJobData>(TEMPLATE_QUEUE, { connection: redis, prefix });
    q.on('error', (err) => log.warn({ err: err.message }, 'template queue error'));
    return q;
  });
  const meta: CampaignMeta = createCampaignMeta({ redis }, { keys });
  const control = createCampaignControl({ db, meta });
  const jobOptions = (id: string) => templateJobOptions(id, { attempts: config.worker.attempts, backoffMs });
  const lists = createListIngest({ db, records, meta, queues, log }, { chunkSize, chunksInFlight, jobOptions });

  let ready: Promise<unknown> | undefined;
  let closed = false;
  /** The migrations first; while PostgreSQL has not come up, 503 after a short wait. */
  async function whenReady(): Promise<void> {
    const unavailable = () => new WxgateError('database_unavailable', 'the message centre\'s PostgreSQL (WXGATE_DATABASE_URL) is not reachable yet: try again shortly', { status: 503, expose: true, retryable: true });
    if (!ready) throw unavailable();
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(unavailable()), 2000);
    });
    try {
      await Promise.race([ready, late]);
    } finally {
      clearTimeout(timer);
    }
  }

  async function campaignOf(appid: string, id: string): Promise<CampaignRow> {
    await whenReady();
    const row = await records.getCampaign(appid, id);
    if (!row) throw notFound(`campaign ${id}`);
    return row;
  }

  async function status(appid: string, id: string): Promise<CampaignStatus> {
    const c = await campaignOf(appid, id);
    const windowS = 10;
    const k = await records.counts(id, windowS);
    const counts = k.byStatus;
    const sentTotal = counts.sent + counts.delivered + counts.blocked + k.failedWithMsgid;
    const quotaPaused = c.pause_reason === 'quota' && c.paused_until !== null && c.paused_until.getTime() > Date.now();
    const done = c.state !== 'accepting' && counts.queued === 0;
    const state: CampaignStatus['state'] = c.state === 'cancelled' ? 'cancelled' : c.state === 'paused' ? 'paused' : done ? 'finished' : c.state;
    const span = k.firstSentAt && k.lastSentAt ? (k.lastSentAt.getTime() - k.firstSentAt.getTime()) / 1000 : 0;
    const running = state === 'running' || state === 'accepting';
    const rate = running ? k.recentSent / windowS : span > 0 ? sentTotal / span : 0;
    return {
      campaign_id: c.id,
      appid: c.appid,
      template_id: c.template_id,
      state: quotaPaused && running ? 'paused' : state,
      pause_reason: c.state === 'paused' ? 'manual' : quotaPaused ? 'quota' : null,
      paused_until: quotaPaused ? iso(c.paused_until) : null,
      recipients: c.recipients,
      list_incomplete: c.list_incomplete,
      counts,
      sent_total: sentTotal,
      sends_per_second: Math.round(rate * 10) / 10,
      created_at: c.created_at.toISOString(),
      started_at: iso(k.firstSentAt),
      finished_at: done || state === 'cancelled' ? iso(k.lastUpdateAt ?? c.cancelled_at) : null,
      eta_s: running && rate > 0 ? Math.ceil(counts.queued / rate) : null,
    };
  }

  /** Parked jobs (a paused campaign's) back to waiting, twice: one parked in the instant of the first pass is caught by the second. */
  async function unpark(appid: string, id: string): Promise<void> {
    const pass = async () => {
      let cursor = '0';
      do {
        const [next, ids] = await redis.sscan(keys.campaignParked(appid, id), cursor, 'COUNT', 500);
        cursor = next;
        await Promise.all(
          ids.map(async (jobId) => {
            const job = await Job.fromId(queues.of(appid), jobId);
            if (job && (await job.isDelayed())) await job.promote().catch(() => undefined);
          }),
        );
      } while (cursor !== '0');
    };
    await pass();
    setTimeout(() => {
      void pass()
        .then(() => redis.del(keys.campaignParked(appid, id)))
        .catch((err: Error) => log.warn({ campaignId: id, err: err.message }, 'unpark pass failed'));
    }, 1000).unref();
  }

  return {
    db,
    async start() {
      ready ??= migrateUntilDone({ db, logger }, { schema: databaseSchema, stopped: () => closed });
      await ready;
    },
    async close() {
      closed = true;
      await queues.close();
      await db.end();
      redis.disconnect();
    },
    abandon() {
      closed = true;
      redis.disconnect();
      void db.end().catch(() => undefined);
    },

    async sendSingle(appid, body, idempotencyKey) {
      const { idempotency_key: fromBody, ...rest } = body;
      const key = checkIdempotencyKey(idempotencyKey ?? (typeof fromBody === 'string' && fromBody !== '' ? fromBody : undefined));
      await whenReady();
      const { openid, payload } = singlePayload(rest);
      const id = singleJobId(appid, key);
      const fresh = await records.insertQueued([{ id, appid, openid, templateId: payload.template_id, data: payload }]);
      const row = await records.getSend(appid, id);
      // The row keeps the payload it was first inserted with: another one under the same key
      // would otherwise answer 202 and never be sent.
      if (row && (row.openid !== openid || canonicalJson(row.data) !== canonicalJson(payload))) throw reusedKey(`message ${id}`);
      if (fresh.length > 0) {
        const data: SingleJobData = { kind: 'single', appid, openid, payload, queuedAt: Date.now() };
        await queues.of(appid).add('single', data, jobOptions(id));
      }
      log.info({ appid, openid, dedupKey: id, idempotencyKey: key !== undefined, outcome: fresh.length > 0 ? 'queued' : 'known' }, 'template message accepted');
      return { id, status: row?.status ?? 'queued', created: fresh.length > 0 };
    },

    async submitCampaign(appid, settings, recipients, idempotencyKey) {
      const key = checkIdempotencyKey(idempotencyKey ?? settings.idempotency_key);
      await whenReady();
      const started = performance.now();
      if (!settings.template_id) throw new RequestError('bad_request', 'template_id is required (in the JSON body, NDJSON\'s first line or the query string)');
      const id = campaignId(appid, key);
      const payload: TemplatePayload = {
        template_id: settings.template_id,
        data: settings.data ?? {},
        ...(settings.url !== undefined ? { url: settings.url } : {}),
        ...(settings.miniprogram ? { miniprogram: settings.miniprogram } : {}),
      };
      const { row, created } = await records.createCampaign({ id, appid, idempotency_key: key ?? null, template_id: payload.template_id, url: payload.url ?? null, miniprogram: payload.miniprogram ?? null, data: payload.data });
      // A resubmission adds recipients to the campaign its key names, never other settings.
      if (!created && campaignDefinition(row) !== campaignDefinition(payload)) throw reusedKey(`campaign ${id}`);
      // Nothing more is queued for a cancelled campaign (and its Redis state is not made anew).
      if (row.state === 'cancelled') throw cancelledError(id);
      return lists.ingest(row, recipients, { created, started });
    },

    async addRecipients(appid, id, settings, recipients, idempotencyKey) {
      const key = checkIdempotencyKey(idempotencyKey ?? settings.idempotency_key);
      const started = performance.now();
      const row = await campaignOf(appid, id);
      // The id names the campaign; a key is not needed, but one naming another campaign is a mistake to refuse, not ignore.
      if (key !== undefined && key !== row.idempotency_key) throw new ConflictError('idempotency_key_reused', `campaign ${id} is not the campaign this Idempotency-Key names: send to one or the other`);
      // The same file sent again may carry its settings (NDJSON's first line, the query): they must be the campaign's.
      const { template_id, url, miniprogram, data } = settings;
      const given = template_id !== undefined || url !== undefined || miniprogram !== undefined || data !== undefined;
      if (given && campaignDefinition(row) !== campaignDefinition({ template_id: template_id ?? row.template_id, url, miniprogram, data })) {
        throw new ConflictError('campaign_settings_differ', `campaign ${id} has other settings (template_id, url, miniprogram, data): send its recipients alone, or with its own settings`);
      }
      if (row.state === 'cancelled') throw cancelledError(id);
      return lists.ingest(row, recipients, { created: false, started });
    },

    status,

    async recipients(appid, id, { status: s, after, limit = 100 }) {
      await campaignOf(appid, id);
      if (s !== undefined && !isSendStatus(s)) throw new RequestError('bad_request', `status must be one of queued, sent, delivered, blocked, failed, cancelled`);
      const n = Math.min(Math.max(1, limit), 10_000);
      const rows = await records.recipients(id, { status: s, after, limit: n });
      return { recipients: rows.map(sendView), next: rows.length === n ? rows[rows.length - 1]!.openid : null };
    },

    async messages(appid, openid, limit = 100) {
      await whenReady();
      return (await records.messages(appid, openid, Math.min(Math.max(1, limit), 1000))).map(sendView);
    },

    async message(appid, id) {
      await whenReady();
      const row = await records.getSend(appid, id);
      if (!row) throw notFound(`message ${id}`);
      return sendView(row);
    },

    async control(appid, id, action) {
      await whenReady();
      const { from, to } = await control.apply(appid, id, action);
      let cancelledRows: number | undefined;
      if (action === 'cancel') cancelledRows = await records.cancelQueued(id); // what is left of it in the records
      if (action !== 'pause') await unpark(appid, id);
      log.info({ appid, campaignId: id, action, from, to, ...(cancelledRows !== undefined ? { cancelled: cancelledRows } : {}) }, `campaign ${DONE[action]}`);
      return status(appid, id);
    },

    collector(metrics) {
      return async () => {
        if (!ready) return;
        for (const c of await records.activeCampaigns()) {
          const k = await records.counts(c.id);
          for (const [s, n] of Object.entries(k.byStatus)) metrics.campaignRecipients.set({ appid: c.appid, campaign: c.id, status: s }, n);
        }
      };
    },
  };
}
