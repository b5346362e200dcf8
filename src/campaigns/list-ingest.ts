// A campaign's list read into its queue as the body streams in, a chunk (1,000) at a time: rows
// first (queued), then the chunk's jobs with addBulk, so a send never runs before its record
// exists, and a list read again queues nothing twice. However the upload ends — its list read to
// the end, a line refused, the connection closed, a cancel — the campaign leaves `accepting`
// (records.finishAccepting), so that it finishes once what was queued is sent.
import type { JobsOptions, Queue } from 'bullmq';
import type { Logger } from '../logger.js';
import type { AccountQueues } from '../queue/account-queues.js';
import { cancelledError } from './campaign-control.js';
import type { CampaignMeta } from './campaign-meta.js';
import type { Database } from './database.js';
import { ListCutError } from './list-cut.js';
import type { CampaignRow, Records } from './records.js';
import type { Recipient } from './recipients-parse.js';
import { campaignJobId, type CampaignJobData, type TemplateJobData } from './template-jobs.js';

export interface ListIngest {
  /** Reads `recipients` into the campaign `row` names; throws ListCutError (naming it) when the upload ends short of its list. */
  ingest(row: CampaignRow, recipients: AsyncIterable<Recipient>, options: { created: boolean; started: number }): Promise<{ campaign_id: string; recipients: number; queued: number; created: boolean }>;
}

export interface ListIngestDeps {
  db: Database;
  records: Records;
  meta: CampaignMeta;
  queues: AccountQueues<Queue<TemplateJobData>>;
  log: Logger;
}

export function createListIngest({ db, records, meta, queues, log }: ListIngestDeps, { chunkSize, chunksInFlight, jobOptions }: { chunkSize: number; chunksInFlight: number; jobOptions: (jobId: string) => JobsOptions }): ListIngest {
  return {
    async ingest(row, recipients, { created, started }) {
      const { id, appid } = row;
    let read = 0;
    let queued = 0;
    try {
      await meta.put(id, appid, { template_id: row.template_id, data: row.data, ...(row.url ? { url: row.url } : {}), ...(row.miniprogram ? { miniprogram: row.miniprogram } : {}) }, row.state === 'paused' ? 'paused' : 'running');
      let chunk: Recipient[] = [];
      const flush = async () => {
        const list = chunk;
        chunk = [];
        const byId = new Map(list.map((r) => [campaignJobId(id, r.openid), r]));
        const fresh = await records.insertQueued([...byId].map(([jobId, r]) => ({ id: jobId, campaignId: id, appid, openid: r.openid, templateId: row.template_id, data: r.data ?? {} })));
        const now = Date.now();
        await queues.of(appid).addBulk(
          fresh.map((jobId) => {
            const r = byId.get(jobId)!;
            const data: CampaignJobData = { kind: 'campaign', appid, campaignId: id, openid: r.openid, queuedAt: now, ...(r.data ? { data: r.data } : {}), ...(r.url ? { url: r.url } : {}) };
            return { name: 'campaign', data, opts: jobOptions(jobId) };
          }),
        );
        queued += fresh.length;
      };
      // A few chunks in flight at once: the list is read and the next chunk's rows written while
      // the last chunk's jobs are added. Each chunk still writes its rows before its jobs.
      const inFlight: Promise<void>[] = [];
      const launch = async () => {
        const p = flush();
        p.catch(() => undefined); // awaited below; this only keeps it from counting as unhandled meanwhile
        inFlight.push(p);
        if (inFlight.length >= chunksInFlight) await inFlight.shift();
      };
      // Cancelled while its list is read: the rest is not queued (one HGET a chunk).
      let cancelled = false;
      // The upload ended before its list did: a line refused, the connection closed mid-body, a
      // chunk that could not be queued. What was queued stays queued (it may be sending already);
      // the recipients read since the last whole chunk are not, from a list that was not whole.
      let cut: unknown;
      try {
        for await (const r of recipients) {
          read++;
          chunk.push(r);
          if (chunk.length < chunkSize) continue;
          cancelled = (await meta.state(appid, id)) === 'cancelled';
          if (cancelled) break;
          await launch();
        }
        if (!cancelled && chunk.length > 0) await launch();
      } catch (err) {
        cut = err;
      }
      // Every chunk handed over is waited for, so that the count below is what was queued.
      const failed = (await Promise.allSettled(inFlight)).find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (cut === undefined && !cancelled && failed) cut = failed.reason;
      const total = Number((await db.query<{ n: string }>('SELECT count(*) AS n FROM sends WHERE campaign_id = $1', [id])).rows[0]!.n);
      // Accepted even when cut: "finished" is "accepted and nothing queued", and a campaign left
      // accepting would never finish (nor leave /metrics). A resubmission under the same id
      // still adds the rest: it is taken whatever the state, bar cancelled.
      const state = await records.finishAccepting(id, total, cut === undefined && !cancelled);
      // Refused with part of the list queued: the answer names the campaign (see list-cut.ts).
      if (cut !== undefined) {
        log.warn({ appid, campaignId: id, recipients: total, read, queued, err: (cut as Error).message }, 'campaign list cut short: accepted with the recipients queued so far');
        throw new ListCutError(cut, { campaign_id: id, recipients: total, queued });
      }
      if (cancelled || state === 'cancelled') {
        log.info({ appid, campaignId: id, recipients: total, read, queued }, 'campaign cancelled while its list was read: the rest is not queued');
        throw new ListCutError(cancelledError(id), { campaign_id: id, recipients: total, queued });
      }
      log.info({ appid, campaignId: id, recipients: total, read, queued, created, ms: Math.round(performance.now() - started) }, 'campaign accepted');
      return { campaign_id: id, recipients: total, queued, created };
    } catch (err) {
      // Anything else that failed once the campaign existed (Redis, PostgreSQL): named all the same.
      throw err instanceof ListCutError ? err : new ListCutError(err, { campaign_id: id, queued });
    }
    },
  };
}
