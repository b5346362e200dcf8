// A campaign's shared payload (template_id, url, miniprogram, data) lives once in Redis beside
// its control state, not in each of its 100,000 jobs; each worker process reads it once.
import type { RedisConnection } from '../redis.js';
import { WxgateError } from '../errors.js';
import type { RedisKeys } from '../redis-keys.js';
import type { TemplatePayload } from './template-jobs.js';

export type CampaignState = 'running' | 'paused' | 'cancelled';

/** Kept well past any campaign's life; the records in PostgreSQL are the lasting copy. */
const KEEP_S = 30 * 86400;

export interface CampaignMeta {
  put(id: string, appid: string, payload: TemplatePayload): Promise<void>;
  get(appid: string, id: string): Promise<TemplatePayload>;
  setState(appid: string, id: string, state: CampaignState): Promise<void>;
}

export function createCampaignMeta({ redis }: { redis: RedisConnection }, { keys, cacheSize = 1000 }: { keys: RedisKeys; cacheSize?: number }): CampaignMeta {
  const cache = new Map<string, TemplatePayload>();
  return {
    async put(id, appid, payload) {
      // HSETNX: a resubmitted campaign keeps its state (a paused one stays paused).
      const key = keys.campaign(appid, id);
      await redis.multi().hset(key, 'payload', JSON.stringify(payload), 'appid', appid).hsetnx(key, 'state', 'running').expire(key, KEEP_S).exec();
    },
    async get(appid, id) {
      const hit = cache.get(id);
      if (hit) return hit;
      const raw = await redis.hget(keys.campaign(appid, id), 'payload');
      if (raw === null) throw new WxgateError('campaign_unknown', `campaign ${id} has no payload in Redis`, { retryable: false });
      const payload = JSON.parse(raw) as TemplatePayload;
      if (cache.size >= cacheSize) cache.delete(cache.keys().next().value!);
      cache.set(id, payload);
      return payload;
    },
    async setState(appid, id, state) {
      await redis.hset(keys.campaign(appid, id), 'state', state);
    },
  };
}
