// Tells the operator when an account's inbound queue shards share a Redis Cluster master
// (shard-placement.ts): one warn line per change of placement, and a gauge. Run by the Redis
// health check (start, reconnect, every interval), so a reshard that fixes it or breaks it shows.
import { Cluster } from 'ioredis';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import type { AccountShards } from '../queue/account-queues.js';
import type { RedisConnection } from '../redis.js';
import type { RedisKeys } from '../redis-keys.js';
import { shardsTogether, shardTags, type ShardsTogether } from './shard-placement.js';

/** The stable code of the line. */
export const QUEUE_SHARDS_TOGETHER = 'queue_shards_together';

export interface ShardPlacementReport {
  check(conn: RedisConnection): Promise<readonly ShardsTogether[]>;
}

export function createShardPlacementReport({ keys, apps, log, metrics }: { keys: RedisKeys; apps: readonly AccountShards[]; log: Logger; metrics: Metrics }): ShardPlacementReport {
  const sharded = shardTags(keys, apps);
  const slots = new Map<string, number>(); // a tag's slot never changes: asked once
  let last = '[]'; // the placement last reported: nothing together until a check finds otherwise
  return {
    async check(conn) {
      if (!(conn instanceof Cluster) || sharded.length === 0) return [];
      for (const { tags } of sharded) for (const tag of tags) if (!slots.has(tag)) slots.set(tag, Number(await conn.cluster('KEYSLOT', tag)));
      const found = shardsTogether(sharded, { slotOf: (tag) => slots.get(tag)!, slotOwner: (slot) => conn.slots[slot]?.[0], masters: conn.nodes('master').length });
      for (const { appid } of sharded) metrics.queueShardsTogether.set({ appid }, found.filter((f) => f.appid === appid).reduce((n, f) => n + f.shards.length, 0));
      const now = JSON.stringify(found);
      if (now === last) return found;
      last = now;
      if (found.length === 0) log.info({}, 'every inbound queue shard is on a Redis master of its own now');
      for (const f of found) {
        log.warn(
          { code: QUEUE_SHARDS_TOGETHER, appid: f.appid, master: f.master, shards: f.shards, slots: f.slots, fix: `move slot ${f.slots[1]} to another master (redis-cli --cluster reshard), or change WXGATE_QUEUE_SHARDS` },
          `inbound queue shards ${f.shards.join(', ')} of ${f.appid} are on one Redis master (${f.master}): they share its core`,
        );
      }
      return found;
    },
  };
}
