// The second half of the replay guard (plain and compat accounts): which body came with each signed nonce.
// The BullMQ deduplication id (inbound-job-options.ts) stops a second *message* on a nonce; it
// cannot see a second body that reuses the first one's MsgId, since BullMQ answers a duplicate
// job id the same way whether the data matched or not. Issue 2 asks for that body to be refused
// too: "the same nonce with the same body is a WeChat retry; the same nonce with another body is
// rejected". The SET goes out with the add, in the same write (redis-write-batch.ts), so a push
// waits for one round trip as before; only a nonce seen already (WeChat's retries, replays)
// costs a GET after it.
import { hash } from 'node:crypto';
import type { RedisConnection } from '../redis.js';
import type { RedisKeys } from '../redis-keys.js';
import type { ReplayGuard } from './inbound-job-options.js';

/** first: the nonce is new; same: seen with this body (a retry); other: seen with another body. */
export type NonceVerdict = 'first' | 'same' | 'other';

export interface NonceBodies {
  /** A guard without a body digest (a spool line from before it existed) has nothing to compare: 'first'. */
  check(appid: string, guard: ReplayGuard): Promise<NonceVerdict>;
}

/** What is remembered of a body: its SHA-256, not the body. */
export function bodyDigest(body: string): string {
  return hash('sha256', body, 'base64');
}

export function createNonceBodies({ redis }: { redis: RedisConnection }, { keys }: { keys: RedisKeys }): NonceBodies {
  return {
    async check(appid, { id, ttlMs, bodyHash }) {
      if (bodyHash === undefined) return 'first';
      const key = keys.nonce(appid, id);
      if ((await redis.set(key, bodyHash, 'PX', ttlMs, 'NX')) === 'OK') return 'first';
      const seen = await redis.get(key);
      // null: expired in between, twice the timestamp window after it was set; not another body.
      return seen === null || seen === bodyHash ? 'same' : 'other';
    },
  };
}
