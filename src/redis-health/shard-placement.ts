// Where an account's inbound queue shards sit on a Redis Cluster (WXGATE_QUEUE_SHARDS). Each
// shard's hash tag picks its slot by CRC16, so with 3 shards on 3 masters about 1 prefix and
// account in 9 puts all three on one master, and 2 in 3 put two together: the shards then add
// queues but no Redis core, and nothing else says so. The cluster's own slot map tells.
// https://redis.io/docs/latest/operate/oss_and_stack/reference/cluster-spec/#key-distribution-model
import type { RedisKeys } from '../redis-keys.js';
import type { AccountShards } from '../queue/account-queues.js';

export interface ShardsTogether {
  readonly appid: string;
  /** The master ("host:port") that holds more than one of the account's shards. */
  readonly master: string;
  readonly shards: readonly number[];
  readonly slots: readonly number[];
}

export interface AccountShardTags {
  readonly appid: string;
  readonly tags: readonly string[];
}

/** The accounts with more than one inbound shard, and the queue prefix (hash tag) of each shard. */
export function shardTags(keys: RedisKeys, apps: readonly AccountShards[]): AccountShardTags[] {
  return apps.filter((a) => a.queueShards > 1).map(({ appid, queueShards }) => ({ appid, tags: Array.from({ length: queueShards }, (_, shard) => keys.queuePrefix(appid, shard)) }));
}

/**
 * The shards of each account that share a master while another master holds none of them
 * (more shards than masters must share: that is not reported). `slotOf` gives a tag's slot
 * (CLUSTER KEYSLOT), `slotOwner` the master of a slot from the cluster's slot map (undefined
 * while it has none), `masters` how many masters the cluster has.
 */
export function shardsTogether(
  sharded: readonly AccountShardTags[],
  { slotOf, slotOwner, masters }: { slotOf: (tag: string) => number; slotOwner: (slot: number) => string | undefined; masters: number },
): ShardsTogether[] {
  const found: ShardsTogether[] = [];
  for (const { appid, tags } of sharded) {
    const byMaster = new Map<string, { shards: number[]; slots: number[] }>();
    for (const [shard, tag] of tags.entries()) {
      const slot = slotOf(tag);
      const master = slotOwner(slot);
      if (master === undefined) continue;
      const entry = byMaster.get(master) ?? { shards: [], slots: [] };
      entry.shards.push(shard);
      entry.slots.push(slot);
      byMaster.set(master, entry);
    }
    if (byMaster.size >= Math.min(tags.length, masters)) continue;
    for (const [master, { shards, slots }] of byMaster) if (shards.length > 1) found.push({ appid, master, shards, slots });
  }
  return found;
}
