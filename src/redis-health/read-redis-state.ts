// What wxgate needs to know about the Redis it runs on, read in one go: the settings that decide
// whether an acknowledged push survives a restart or memory pressure, and Redis's identity (its
// run_id changes on every restart) and eviction count, to tell a restart from a flush.
// CONFIG GET is the source of truth; where it is disabled or renamed (managed Redis: ElastiCache,
// Azure, many others) INFO still says whether AOF is on and the eviction policy, and the rest is
// "unknown" rather than a guess. https://redis.io/docs/latest/operate/oss_and_stack/management/persistence/
import { Cluster, ReplyError, type Redis } from 'ioredis';
import type { RedisConnection } from '../redis.js';
import { parseInfo } from './parse-info.js';

export const UNKNOWN = 'unknown';

export interface RedisSettings {
  /** yes | no | unknown */
  readonly appendonly: string;
  /** always | everysec | no | unknown */
  readonly appendfsync: string;
  /** RDB save points ("3600 1 300 100"; "" none) or unknown. */
  readonly save: string;
  readonly 'maxmemory-policy': string;
  /** Replicas connected right now (INFO replication). */
  readonly replicas: number | typeof UNKNOWN;
}

export interface RedisState {
  readonly settings: RedisSettings;
  readonly runId?: string;
  /** INFO stats evicted_keys: keys evicted since Redis started (or since CONFIG RESETSTAT). */
  readonly evictedKeys?: number;
}

type ConfigName = 'appendonly' | 'appendfsync' | 'save' | 'maxmemory-policy';

/** One CONFIG GET; undefined when Redis refuses the command (disabled, renamed, no ACL permission). */
async function configGet(redis: Redis, name: ConfigName): Promise<string | undefined> {
  try {
    const reply = (await redis.config('GET', name)) as unknown as string[];
    return reply[1];
  } catch (err) {
    if (err instanceof ReplyError) return undefined;
    throw err;
  }
}

const number = (v: string | undefined) => (v === undefined || v === '' || !Number.isFinite(Number(v)) ? undefined : Number(v));

/**
 * The one Redis whose settings and identity are read: on a cluster, the master serving `key`'s
 * slot (the dataset marker's), so run_id and the eviction count always come from the same node.
 */
export async function stateNode(conn: RedisConnection, key: string): Promise<Redis> {
  if (!(conn instanceof Cluster)) return conn;
  const slot = Number(await conn.call('CLUSTER', 'KEYSLOT', key));
  const [address] = (conn.slots[slot] ?? []) as string[];
  const node = conn.nodes('master').find((n) => `${n.options.host}:${n.options.port}` === address);
  if (!node) throw new Error(`no master known for slot ${slot} yet`);
  return node;
}

export async function readRedisState(redis: Redis): Promise<RedisState> {
  // The default INFO holds the server, persistence, memory, stats and replication sections.
  const [text, appendonly, appendfsync, save, policy] = await Promise.all([
    redis.info(),
    configGet(redis, 'appendonly'),
    configGet(redis, 'appendfsync'),
    configGet(redis, 'save'),
    configGet(redis, 'maxmemory-policy'),
  ]);
  const info = parseInfo(text);
  const aof = info.aof_enabled === undefined ? UNKNOWN : info.aof_enabled === '1' ? 'yes' : 'no';
  return {
    settings: {
      appendonly: appendonly ?? aof,
      appendfsync: appendfsync ?? UNKNOWN,
      save: save ?? UNKNOWN,
      'maxmemory-policy': policy ?? info.maxmemory_policy ?? UNKNOWN,
      replicas: number(info.connected_slaves) ?? UNKNOWN,
    },
    runId: info.run_id,
    evictedKeys: number(info.evicted_keys),
  };
}
