// Replay protection for plaintext mode, where the signature covers (token, timestamp, nonce)
// but not the body: a captured URL could be replayed with another body inside the timestamp
// window. We remember each nonce with a hash of its body for the length of the window.
// Same nonce + same body = WeChat retrying (fine, dedup absorbs it); another body = replay.
// In safe mode msg_signature covers the body, so the receiver skips this round trip.
import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import { RequestError } from '../errors.js';

export interface NonceGuard {
  /** Resolves 'first' or 'retry'; throws RequestError('nonce_replayed') for another body. */
  check(appid: string, timestamp: string, nonce: string, body: string): Promise<'first' | 'retry'>;
}

export function createNonceGuard({ redis }: { redis: Redis }, { prefix, ttlS = 300 }: { prefix: string; ttlS?: number }): NonceGuard {
  return {
    async check(appid, timestamp, nonce, body) {
      const digest = createHash('sha1').update(body).digest('base64');
      const key = `${prefix}:nonce:${appid}:${timestamp}:${nonce}`;
      // SET … NX GET (Redis ≥ 7.0): one round trip both records and reads.
      const previous = (await redis.call('SET', key, digest, 'NX', 'GET', 'EX', String(2 * ttlS))) as string | null;
      if (previous === null || previous === digest) return previous === null ? 'first' : 'retry';
      throw new RequestError('nonce_replayed', 'nonce already used with another body');
    },
  };
}
