// Pause, resume and cancel as transitions that are never lost to one another. A campaign's
// state lives twice: in Redis (what the workers go by) and in PostgreSQL (what status reads).
// Each action runs under its campaign row's lock (SELECT … FOR UPDATE), so two actions on one
// campaign take turns and both copies end the same; and cancelled is final in both, by Redis's
// own compare-and-set (campaign-meta.ts) and by UPDATE … WHERE state <> 'cancelled'. Resume
// picks running or accepting from the row as it stands under the lock — finishAccepting may
// have committed a moment before — never from a read made earlier.
import { ConflictError, WxgateError } from '../errors.js';
import { withTimeout } from '../with-timeout.js';
import type { CampaignMeta, CampaignState } from './campaign-meta.js';
import type { Database } from './database.js';
import type { CampaignRow } from './records.js';

export type ControlAction = 'pause' | 'resume' | 'cancel';

export interface CampaignControl {
  /** The state before and after; 404 for no such campaign, 409 campaign_cancelled once it is cancelled. */
  apply(appid: string, id: string, action: ControlAction): Promise<{ from: CampaignRow['state']; to: CampaignRow['state'] }>;
}

const IN_REDIS: Record<ControlAction, CampaignState> = { pause: 'paused', resume: 'running', cancel: 'cancelled' };

export const cancelledError = (id: string) => new ConflictError('campaign_cancelled', `campaign ${id} is cancelled`);

export function createCampaignControl({ db, meta }: { db: Database; meta: Pick<CampaignMeta, 'transition'> }, { redisTimeoutMs = 5000 }: { redisTimeoutMs?: number } = {}): CampaignControl {
  return {
    async apply(appid, id, action) {
      const client = await db.connect();
      let moved: { from: CampaignRow['state']; to: CampaignRow['state'] };
      try {
        await client.query('BEGIN');
        const row = (await client.query<Pick<CampaignRow, 'state' | 'accepted_at'>>('SELECT state, accepted_at FROM campaigns WHERE id = $1 AND appid = $2 FOR UPDATE', [id, appid])).rows[0];
        if (!row) throw new WxgateError('not_found', `campaign ${id} not found`, { status: 404, expose: true });
        if (row.state === 'cancelled') throw cancelledError(id);
        // Redis first: from its write on, no worker sends for a cancelled (or paused) campaign.
        // Bounded: the row stays locked meanwhile, and a Redis that does not answer must not hold it (or a pool connection) for long.
        const inRedis = await withTimeout(meta.transition(appid, id, IN_REDIS[action]), redisTimeoutMs, 'the campaign state in Redis');
        // Redis cancelled and PostgreSQL not: a cancel that stopped between its two writes. It stands.
        const to: CampaignRow['state'] = inRedis === 'cancelled' || action === 'cancel' ? 'cancelled' : action === 'pause' ? 'paused' : row.state === 'paused' ? (row.accepted_at ? 'running' : 'accepting') : row.state;
        await client.query(`UPDATE campaigns SET state = $2, cancelled_at = CASE WHEN $2 = 'cancelled' THEN now() ELSE cancelled_at END WHERE id = $1 AND state <> 'cancelled'`, [id, to]);
        await client.query('COMMIT');
        moved = { from: row.state, to };
      } catch (err) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw err;
      } finally {
        client.release();
      }
      if (moved.to === 'cancelled' && action !== 'cancel') throw cancelledError(id);
      return moved;
    },
  };
}
