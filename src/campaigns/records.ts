// The message centre's queries (everything but the batched outcome writes, record-writer.ts).
import type { Database } from './database.js';
import type { TemplatePayload, TemplateData } from './template-jobs.js';
import { SEND_STATUSES, type SendStatus } from './send-status.js';

export interface CampaignRow {
  id: string;
  appid: string;
  idempotency_key: string | null;
  template_id: string;
  url: string | null;
  miniprogram: TemplatePayload['miniprogram'] | null;
  data: TemplateData;
  state: 'accepting' | 'running' | 'paused' | 'cancelled';
  recipients: number;
  /** The last upload of its list ended before the list did (002_list_incomplete.sql). */
  list_incomplete: boolean;
  paused_until: Date | null;
  pause_reason: string | null;
  created_at: Date;
  accepted_at: Date | null;
  cancelled_at: Date | null;
}

export interface QueuedRow {
  id: string;
  campaignId?: string;
  appid: string;
  openid: string;
  templateId: string;
  data: unknown;
}

export interface SendRow {
  id: string;
  campaign_id: string | null;
  appid: string;
  openid: string;
  template_id: string;
  data: unknown;
  status: SendStatus;
  errcode: number | null;
  errmsg: string | null;
  msgid: string | null;
  attempts: number;
  queued_at: Date;
  sent_at: Date | null;
  reported_at: Date | null;
  updated_at: Date;
}

export interface CampaignCounts {
  byStatus: Record<SendStatus, number>;
  firstSentAt?: Date;
  lastSentAt?: Date;
  lastUpdateAt?: Date;
  /** Sends accepted by WeChat in the last `windowS` seconds. */
  recentSent: number;
  /** Failed after WeChat accepted them (a delivery report said so). */
  failedWithMsgid: number;
}

export interface Records {
  /** Creates the campaign, or returns the one with the same idempotency key. */
  createCampaign(row: Pick<CampaignRow, 'id' | 'appid' | 'idempotency_key' | 'template_id' | 'url' | 'miniprogram' | 'data'>): Promise<{ row: CampaignRow; created: boolean }>;
  getCampaign(appid: string, id: string): Promise<CampaignRow | undefined>;
  /**
   * Inserts queued rows; returns the ids still to be queued: the new ones and those still
   * `queued` from an earlier try (a job whose add may have been lost), never a finished one.
   */
  insertQueued(rows: QueuedRow[]): Promise<string[]>;
  /**
   * The upload has ended, its list read to the end (`complete`) or cut short: accepting becomes
   * running either way (any other state stays), so that the campaign finishes with what was
   * queued; returns the state. State changes otherwise: campaign-control.ts.
   */
  finishAccepting(id: string, recipients: number, complete: boolean): Promise<CampaignRow['state'] | undefined>;
  /** Marks the campaign's queued rows cancelled; returns how many. */
  cancelQueued(id: string): Promise<number>;
  markQuotaPause(appid: string, until: Date | null): Promise<void>;
  counts(id: string, windowS?: number): Promise<CampaignCounts>;
  recipients(id: string, options: { status?: SendStatus; after?: string; limit: number }): Promise<SendRow[]>;
  messages(appid: string, openid: string, limit: number): Promise<SendRow[]>;
  getSend(appid: string, id: string): Promise<SendRow | undefined>;
  /** The most recent campaigns still running or finished within a day (for /metrics). */
  activeCampaigns(limit?: number): Promise<{ id: string; appid: string }[]>;
}

const SEND_COLUMNS = 'id, campaign_id, appid, openid, template_id, data, status, errcode, errmsg, msgid::text AS msgid, attempts, queued_at, sent_at, reported_at, updated_at';

export function createRecords({ db }: { db: Database }): Records {
  return {
    async createCampaign(c) {
      const inserted = await db.query<CampaignRow>(
        `INSERT INTO campaigns (id, appid, idempotency_key, template_id, url, miniprogram, data) VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT DO NOTHING RETURNING *`,
        [c.id, c.appid, c.idempotency_key, c.template_id, c.url, c.miniprogram === null ? null : JSON.stringify(c.miniprogram), JSON.stringify(c.data)],
      );
      if (inserted.rows[0]) return { row: inserted.rows[0], created: true };
      const existing = await db.query<CampaignRow>('SELECT * FROM campaigns WHERE id = $1', [c.id]);
      return { row: existing.rows[0]!, created: false };
    },
    async getCampaign(appid, id) {
      return (await db.query<CampaignRow>('SELECT * FROM campaigns WHERE id = $1 AND appid = $2', [id, appid])).rows[0];
    },
    async insertQueued(rows) {
      if (rows.length === 0) return [];
      // DO UPDATE (a no-op) rather than DO NOTHING, so RETURNING also names rows still queued.
      const r = await db.query<{ id: string }>(
        `INSERT INTO sends (id, campaign_id, appid, openid, template_id, data)
         SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::jsonb[])
         ON CONFLICT (id) DO UPDATE SET id = EXCLUDED.id WHERE sends.status = 'queued'
         RETURNING id`,
        [rows.map((x) => x.id), rows.map((x) => x.campaignId ?? null), rows.map((x) => x.appid), rows.map((x) => x.openid), rows.map((x) => x.templateId), rows.map((x) => JSON.stringify(x.data ?? {}))],
      );
      return r.rows.map((x) => x.id);
    },
    async finishAccepting(id, recipients, complete) {
      const r = await db.query<Pick<CampaignRow, 'state'>>(
        `UPDATE campaigns SET recipients = $2, list_incomplete = NOT $3, accepted_at = COALESCE(accepted_at, now()), state = CASE WHEN state = 'accepting' THEN 'running' ELSE state END WHERE id = $1 RETURNING state`,
        [id, recipients, complete],
      );
      return r.rows[0]?.state;
    },
    async cancelQueued(id) {
      const r = await db.query(`UPDATE sends SET status = 'cancelled', updated_at = now() WHERE campaign_id = $1 AND status = 'queued'`, [id]);
      return r.rowCount ?? 0;
    },
    async markQuotaPause(appid, until) {
      await db.query(
        until === null
          ? `UPDATE campaigns SET paused_until = NULL, pause_reason = NULL WHERE appid = $1 AND pause_reason = 'quota'`
          : `UPDATE campaigns SET paused_until = $2, pause_reason = 'quota' WHERE appid = $1 AND state IN ('accepting', 'running')`,
        until === null ? [appid] : [appid, until],
      );
    },
    async counts(id, windowS = 10) {
      const r = await db.query<{ status: SendStatus; n: string; first_sent: Date | null; last_sent: Date | null; last_update: Date | null; recent: string; with_msgid: string }>(
        `SELECT status, count(*) AS n, min(sent_at) AS first_sent, max(sent_at) AS last_sent, max(updated_at) AS last_update,
                count(*) FILTER (WHERE sent_at > now() - make_interval(secs => $2)) AS recent, count(msgid) AS with_msgid
         FROM sends WHERE campaign_id = $1 GROUP BY status`,
        [id, windowS],
      );
      const byStatus = Object.fromEntries(SEND_STATUSES.map((s) => [s, 0])) as Record<SendStatus, number>;
      const out: CampaignCounts = { byStatus, recentSent: 0, failedWithMsgid: 0 };
      const min = (a: Date | undefined, b: Date | null) => (b === null ? a : a === undefined || b < a ? b : a);
      const max = (a: Date | undefined, b: Date | null) => (b === null ? a : a === undefined || b > a ? b : a);
      for (const row of r.rows) {
        byStatus[row.status] = Number(row.n);
        out.firstSentAt = min(out.firstSentAt, row.first_sent);
        out.lastSentAt = max(out.lastSentAt, row.last_sent);
        out.lastUpdateAt = max(out.lastUpdateAt, row.last_update);
        out.recentSent += Number(row.recent);
        if (row.status === 'failed') out.failedWithMsgid = Number(row.with_msgid);
      }
      return out;
    },
    async recipients(id, { status, after, limit }) {
      const r = await db.query<SendRow>(
        `SELECT ${SEND_COLUMNS} FROM sends WHERE campaign_id = $1 AND ($2::text IS NULL OR status = $2) AND ($3::text IS NULL OR openid > $3)
         ORDER BY openid LIMIT $4`,
        [id, status ?? null, after ?? null, limit],
      );
      return r.rows;
    },
    async messages(appid, openid, limit) {
      return (await db.query<SendRow>(`SELECT ${SEND_COLUMNS} FROM sends WHERE appid = $1 AND openid = $2 ORDER BY queued_at DESC LIMIT $3`, [appid, openid, limit])).rows;
    },
    async getSend(appid, id) {
      return (await db.query<SendRow>(`SELECT ${SEND_COLUMNS} FROM sends WHERE appid = $1 AND id = $2`, [appid, id])).rows[0];
    },
    async activeCampaigns(limit = 20) {
      return (
        await db.query<{ id: string; appid: string }>(
          `SELECT id, appid FROM campaigns c WHERE state <> 'cancelled' AND (accepted_at IS NULL OR accepted_at > now() - interval '1 day' OR EXISTS (SELECT 1 FROM sends s WHERE s.campaign_id = c.id AND s.status = 'queued'))
           ORDER BY created_at DESC LIMIT $1`,
          [limit],
        )
      ).rows;
    },
  };
}
