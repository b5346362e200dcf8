// Which BullMQ queue an account's job goes to (issue 18). In the shared layout there is one queue
// of each name, as always; in the account layout (Redis Cluster) each account has its own, under
// its hash tag, and an account with inbound shards has one inbound queue per shard. A message's
// shard is a hash of its dedup key, so WeChat's retries of one message always reach the same
// queue, whose job id deduplicates them. (The replay guard's nonce is kept under the account's
// tag, not the shard's, so it still sees every shard: queue/nonce-bodies.ts.)
import { createHash } from 'node:crypto';
import type { Queue } from 'bullmq';
import type { RedisKeys } from '../redis-keys.js';

export interface AccountShards {
  readonly appid: string;
  /** Inbound queue shards of this account (1: no sharding). */
  readonly queueShards: number;
}

/** Where one queue of one account (and shard) lives. */
export interface QueueSpot {
  readonly prefix: string;
  readonly appid: string;
  readonly shard: number;
}

/** The shard of a message: stable for a dedup key, spread evenly over `shards`. */
export function shardOf(dedupKey: string, shards: number): number {
  if (shards <= 1) return 0;
  return createHash('sha1').update(dedupKey).digest().readUInt32BE(0) % shards;
}

/**
 * The distinct places one queue name lives in: one in the shared layout; one per account (and,
 * with `sharded`, per inbound shard) in the account layout.
 */
export function queueSpots(keys: RedisKeys, apps: readonly AccountShards[], { sharded = false } = {}): QueueSpot[] {
  // One queue for all, whether or not accounts are configured (`wxgate dlq` needs none).
  if (keys.layout === 'shared') return [{ prefix: keys.queuePrefix(''), appid: apps[0]?.appid ?? '', shard: 0 }];
  const spots = new Map<string, QueueSpot>();
  for (const { appid, queueShards } of apps) {
    for (let shard = 0; shard < (sharded ? queueShards : 1); shard += 1) {
      const prefix = keys.queuePrefix(appid, shard);
      if (!spots.has(prefix)) spots.set(prefix, { prefix, appid, shard });
    }
  }
  return [...spots.values()];
}

export interface AccountQueues<Q extends Queue = Queue> {
  /** Every queue opened so far: at least one per configured spot. */
  all(): Q[];
  /** The queue of this account and shard (opened on first use: a spool line of an account no longer configured still drains). */
  of(appid: string, shard?: number): Q;
  close(): Promise<void>;
}

/** One queue object per distinct prefix: the shared layout opens just one. */
export function accountQueues<Q extends Queue>(keys: RedisKeys, spots: readonly QueueSpot[], open: (prefix: string) => Q): AccountQueues<Q> {
  const byPrefix = new Map<string, Q>();
  const get = (prefix: string): Q => {
    let q = byPrefix.get(prefix);
    if (!q) {
      q = open(prefix);
      byPrefix.set(prefix, q);
    }
    return q;
  };
  for (const s of spots) get(s.prefix);
  return {
    all: () => [...byPrefix.values()],
    of: (appid, shard = 0) => get(keys.queuePrefix(appid, shard)),
    async close() {
      await Promise.all([...byPrefix.values()].map((q) => q.close().catch(() => undefined)));
    },
  };
}

/** The inbound queue a message goes to: its account's, and its shard by the dedup key. */
export interface InboundRoute {
  (appid: string, dedupKey: string): Queue;
}

export function inboundRoute(queues: AccountQueues, apps: readonly AccountShards[]): InboundRoute {
  const shards = new Map(apps.map((a) => [a.appid, a.queueShards]));
  return (appid, dedupKey) => queues.of(appid, shardOf(dedupKey, shards.get(appid) ?? 1));
}
