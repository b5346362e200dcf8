import { Redis } from 'ioredis';

/** `prefix` as a literal inside a SCAN MATCH pattern (glob: * ? [ ] \ are special). */
const literal = (prefix: string) => prefix.replace(/[*?[\]\\]/g, (c) => `\\${c}`);

/**
 * The patterns of every key wxgate writes under `prefix`, in both key layouts (src/redis-keys.ts):
 * `shared` puts everything under `<prefix>:`; `account` under a hash tag per account,
 * `{<prefix>:<appid>}:` and `{<prefix>:<appid>:<n>}:` for extra inbound shards (BullMQ's queues
 * included), with the dataset marker still at `<prefix>:redis-epoch`.
 */
export function prefixPatterns(prefix: string): string[] {
  const p = literal(prefix);
  return [`${p}:*`, `{${p}:*`];
}

/** Deletes every key under `prefix` in either layout (SCAN + UNLINK), so benchmark runs leave Redis as they found it. */
export async function deletePrefix(url: string, prefix: string): Promise<void> {
  const redis = new Redis(url);
  try {
    for (const pattern of prefixPatterns(prefix)) {
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 5000);
        cursor = next;
        if (keys.length > 0) await redis.unlink(...keys);
      } while (cursor !== '0');
    }
  } finally {
    redis.disconnect();
  }
}
