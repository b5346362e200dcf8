// Bearer check for the internal API: constant-time comparison after a length check, so the
// answer time does not tell how much of a guessed token was right.
import { timingSafeEqual } from 'node:crypto';

export function createBearerCheck(expected: string): (authorization: string | undefined) => boolean {
  const want = Buffer.from(expected, 'utf8');
  return (authorization) => {
    const m = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(authorization ?? '');
    if (!m) return false;
    const got = Buffer.from(m[1]!, 'utf8');
    return got.length === want.length && timingSafeEqual(got, want);
  };
}
