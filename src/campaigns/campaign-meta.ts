// A campaign's shared payload (template_id, url, miniprogram, data) lives once in Redis beside
// its control state, not in each of its 100,000 jobs; each worker process reads it once.
import type { Redis } from 'ioredis';
import { WxgateError } from '../errors.js';
import { templateKeys } from './template-admission.js';
import type { TemplatePayload } from './template-jobs.js';

export type CampaignState = 'running' | 'paused' | 'cancelled';

/** Kept well past any campaign's life; the records in PostgreSQL are the lasting copy. */
const KEEP_S = 30 * 86400;

export interface CampaignMeta {
  put(id: string, appid: string, payload: TemplatePayload): Promise<void>;
  get(id: string): Promise<TemplatePayload>;
  setState(id: string, state: CampaignState): Promise<void>;
}

export function createCampaignMeta({ redis }: { redis: Redis }, { prefix, cacheSize = 1000 }: { prefix: string; cacheSize?: number }): CampaignMeta {
  const keys = templateKeys(prefix);
  const cache = new Map<string, TemplatePayload>();
  return {
    async put(id, appid, payload) {
      // HSETNX: a resubmitted campaign keeps its state (a paused one stays paused).
      await redis.multi().hset(keys.campaign(id), 'payload', JSON.stringify(payload), 'appid', appid).hsetnx(keys.campaign(id), 'state', 'running').expire(keys.campaign(id), KEEP_S).exec();
    },
    async get(id) {
      const hit = cache.get(id);
      if (hit) return hit;
      const raw = await redis.hget(keys.campaign(id), 'payload');
      if (raw === null) throw new WxgateError('campaign_unknown', `campaign ${id} has no payload in Redis`, { retryable: false });
      const payload = JSON.parse(raw) as TemplatePayload;
      if (cache.size >= cacheSize) cache.delete(cache.keys().next().value!);
      cache.set(id, payload);
      return payload;
    },
    async setState(id, state) {
      await redis.hset(keys.campaign(id), 'state', state);
    },
  };
}
