// WXGATE_REDIS_WAIT_REPLICAS (issue 18): Redis replicates asynchronously, so a job a master has
// acknowledged can vanish with it when it fails over before its replicas have the write. With
// N > 0 the enqueue asks WAIT N on the connection that wrote the job — on a cluster, the node
// connection to the master serving the account's slot, which carried the add — before WeChat
// gets `success`. Fewer than N replicas within the time left is treated as Redis being away:
// the push goes to the spool (fsynced), which drains it again later (the job id keeps it once).
// https://redis.io/docs/latest/commands/wait/
import { Cluster, type Redis } from 'ioredis';
import { UnavailableError } from '../errors.js';
import type { RedisConnection } from '../redis.js';

export interface ReplicaWait {
  /** Resolves once `replicas` replicas have every write this connection sent to `key`'s master. */
  wait(key: string, timeoutMs: number): Promise<void>;
  readonly replicas: number;
}

/** The connection that carries writes to `key`: on a cluster, its slot's master. */
async function writerOf(conn: RedisConnection, key: string, slots: Map<string, number>): Promise<Redis> {
  if (!(conn instanceof Cluster)) return conn;
  let slot = slots.get(key);
  if (slot === undefined) {
    slot = Number(await conn.call('CLUSTER', 'KEYSLOT', key));
    slots.set(key, slot);
  }
  const [address] = (conn.slots[slot] ?? []) as string[];
  const node = conn.nodes('master').find((n) => `${n.options.host}:${n.options.port}` === address);
  if (!node) throw new UnavailableError('redis_unavailable', `no master known for slot ${slot}`);
  return node;
}

export function createReplicaWait({ redis }: { redis: RedisConnection }, { replicas }: { replicas: number }): ReplicaWait {
  // A key's slot never changes (its hash tag is fixed): asked once per queue.
  const slots = new Map<string, number>();
  return {
    replicas,
    async wait(key, timeoutMs) {
      if (replicas <= 0) return;
      const node = await writerOf(redis, key, slots);
      const acked = Number(await node.call('WAIT', replicas, Math.max(1, Math.floor(timeoutMs))));
      if (acked < replicas) {
        throw new UnavailableError('replicas_unavailable', `${acked} of ${replicas} replicas (WXGATE_REDIS_WAIT_REPLICAS) had the write within ${Math.round(timeoutMs)} ms`);
      }
    },
  };
}
