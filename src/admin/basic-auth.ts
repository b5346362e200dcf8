// HTTP Basic credentials for the queue dashboard, checked in constant time (a length check, then
// crypto.timingSafeEqual) for the user and the password both, so neither the answer time nor
// which of the two was wrong tells a guesser anything.
import { timingSafeEqual } from 'node:crypto';

function same(got: string, want: Buffer): boolean {
  const g = Buffer.from(got, 'utf8');
  return g.length === want.length && timingSafeEqual(g, want);
}

export function createBasicAuthCheck({ user, password }: { user: string; password: string }): (authorization: string | undefined) => boolean {
  const wantUser = Buffer.from(user, 'utf8');
  const wantPassword = Buffer.from(password, 'utf8');
  return (authorization) => {
    const m = /^Basic[ \t]+([A-Za-z0-9+/=]+)[ \t]*$/i.exec(authorization ?? '');
    if (!m) return false;
    const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) return false;
    const userOk = same(decoded.slice(0, colon), wantUser);
    const passwordOk = same(decoded.slice(colon + 1), wantPassword);
    return userOk && passwordOk;
  };
}
