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

/** How one upload's reading ended. `cut`: the upload ended before its list did (a line refused, the connection closed mid-body, a chunk that could not be queued). */
interface ReadResult {
  read: number;
  queued: number;
  cancelled: boolean;
  cut?: unknown;
}

export function createListIngest({ db, records, meta, queues, log }: ListIngestDeps, { chunkSize, chunksInFlight, jobOptions }: { chunkSize: number; chunksInFlight: number; jobOptions: (jobId: string) => JobsOptions }): ListIngest {
  /** One chunk: its rows, then the jobs of the rows that are new. Resolves to how many were queued. */
  async function queueChunk(row: CampaignRow, list: Recipient[]): Promise<number> {
    const { id, appid } = row;
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
    return fresh.length;
  }

  /**
   * Reads the list, a few chunks in flight at once (the next chunk's rows are written while the
   * last chunk's jobs are added), and waits for every chunk handed over, so that what it counts
   * was queued. What was queued stays queued when the upload ends short (it may be sending
   * already); the recipients read since the last whole chunk are not, from a list not whole.
   */
  async function readList(row: CampaignRow, recipients: AsyncIterable<Recipient>): Promise<ReadResult> {
    const result: ReadResult = { read: 0, queued: 0, cancelled: false };
    const inFlight: Promise<void>[] = [];
    const launch = async (list: Recipient[]) => {
      const p = queueChunk(row, list).then((n) => void (result.queued += n));
      p.catch(() => undefined); // awaited below; this only keeps it from counting as unhandled meanwhile
      inFlight.push(p);
      if (inFlight.length >= chunksInFlight) await inFlight.shift();
    };
    let chunk: Recipient[] = [];
    try {
      for await (const r of recipients) {
        result.read++;
        chunk.push(r);
        if (chunk.length < chunkSize) continue;
        // Cancelled while its list is read: the rest is not queued (one HGET a chunk).
        result.cancelled = (await meta.state(row.appid, row.id)) === 'cancelled';
        if (result.cancelled) break;
        await launch(chunk);
        chunk = [];
      }
      if (!result.cancelled && chunk.length > 0) await launch(chunk);
    } catch (err) {
      result.cut = err;
    }
    const failed = (await Promise.allSettled(inFlight)).find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (result.cut === undefined && !result.cancelled && failed) result.cut = failed.reason;
    return result;
  }

  async function ingestOrCut(row: CampaignRow, recipients: AsyncIterable<Recipient>, { created, started }: { created: boolean; started: number }, progress: { queued: number }) {
    const { id, appid } = row;
    await meta.put(id, appid, { template_id: row.template_id, data: row.data, ...(row.url ? { url: row.url } : {}), ...(row.miniprogram ? { miniprogram: row.miniprogram } : {}) }, row.state === 'paused' ? 'paused' : 'running');
    const { read, queued, cancelled, cut } = await readList(row, recipients);
    progress.queued = queued;
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
  }

  return {
    async ingest(row, recipients, options) {
      const progress = { queued: 0 };
      try {
        return await ingestOrCut(row, recipients, options, progress);
      } catch (err) {
        // Anything else that failed once the campaign existed (Redis, PostgreSQL): named all the same.
        throw err instanceof ListCutError ? err : new ListCutError(err, { campaign_id: row.id, queued: progress.queued });
      }
    },
  };
}
