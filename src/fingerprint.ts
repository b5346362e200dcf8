import { createHash } from 'node:crypto';

/** First 8 hex characters of sha256: enough to tell two tokens apart in logs, useless to an attacker. */
export function fingerprint(secret: string): string {
  return createHash('sha256').update(secret).digest('hex').slice(0, 8);
}
