// A campaign's shared payload (template_id, url, miniprogram, data) lives once in Redis beside
// its control state, not in each of its 100,000 jobs; each worker process reads it once.
import type { RedisConnection } from '../redis.js';
import { WxgateError } from '../errors.js';
import type { RedisKeys } from '../redis-keys.js';
import { createLuaScript } from '../worker/lua-script.js';
import type { TemplatePayload } from './template-jobs.js';

export type CampaignState = 'running' | 'paused' | 'cancelled';

/** Kept well past any campaign's life; the records in PostgreSQL are the lasting copy. */
const KEEP_S = 30 * 86400;

export interface CampaignMeta {
  /** Payload and appid; the state only if it has none (a resubmitted campaign keeps its own: a paused one stays paused). */
  put(id: string, appid: string, payload: TemplatePayload, state: Exclude<CampaignState, 'cancelled'>): Promise<void>;
  get(appid: string, id: string): Promise<TemplatePayload>;
  /** The state the workers go by (null: none in Redis). */
  state(appid: string, id: string): Promise<CampaignState | null>;
  /** Sets the state unless it is cancelled, in one step; returns the state it found. */
  transition(appid: string, id: string, state: CampaignState): Promise<CampaignState | null>;
}

// A compare-and-set: cancelled is final. A pause or resume that read the state before a
// cancel wrote it, and wrote after, would otherwise un-cancel the campaign and send on.
const TRANSITION = `
local was = redis.call('HGET', KEYS[1], 'state')
if was == 'cancelled' then return was end
redis.call('HSET', KEYS[1], 'state', ARGV[1])
if redis.call('TTL', KEYS[1]) < 0 then redis.call('EXPIRE', KEYS[1], ARGV[2]) end
return was`;

export function createCampaignMeta({ redis }: { redis: RedisConnection }, { keys, cacheSize = 1000 }: { keys: RedisKeys; cacheSize?: number }): CampaignMeta {
  const cache = new Map<string, TemplatePayload>();
  const transition = createLuaScript({ redis }, { source: TRANSITION });
  return {
    async put(id, appid, payload, state) {
      const key = keys.campaign(appid, id);
      await redis.multi().hset(key, 'payload', JSON.stringify(payload), 'appid', appid).hsetnx(key, 'state', state).expire(key, KEEP_S).exec();
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
    async state(appid, id) {
      return (await redis.hget(keys.campaign(appid, id), 'state')) as CampaignState | null;
    },
    async transition(appid, id, state) {
      return ((await transition.run([keys.campaign(appid, id)], [state, KEEP_S])) ?? null) as CampaignState | null;
    },
  };
}
