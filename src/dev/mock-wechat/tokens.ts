// access_token issuance as WeChat does it, with both APIs kept apart (a stable token and a
// classic token of the same account are independent, as the docs say):
// - classic GET /cgi-bin/token: every call issues a new token; the previous one keeps working
//   for `graceS` ("公众平台后台会保证在5分钟内，新老access_token都可用").
// - stable POST /cgi-bin/stable_token: force_refresh false returns the current token while it is
//   valid, and a new one (the old one still valid to its end) in its last `renewWindowS`
//   ("在有效期倒计时5分钟内发起调用会获取新的access_token"); force_refresh true issues a new one,
//   the previous one lives `graceS` more, and is limited to `forcedPerDay`, `forcedIntervalS` apart.
// https://developers.weixin.qq.com/doc/offiaccount/Basic_Information/getStableAccessToken.html
import { randomBytes } from 'node:crypto';

export type TokenKind = 'classic' | 'stable';
export type TokenStatus = 'valid' | 'grace' | 'expired' | 'superseded' | 'unknown';

export interface MockTokenSettings {
  tokenTtlS: number;
  graceS: number;
  /** Default: min(300, tokenTtlS / 24) — 300 s for WeChat's 7200 s. */
  renewWindowS?: number;
  forcedPerDay: number;
  forcedIntervalS: number;
}

interface Issued {
  value: string;
  appid: string;
  kind: TokenKind;
  issuedAt: number;
  expiresAt: number;
  supersededAt?: number;
}

export type IssueResult = { token: string; expiresInS: number; issued: boolean } | { errcode: number; errmsg: string };

export interface MockTokens {
  classic(appid: string): IssueResult;
  stable(appid: string, force: boolean): IssueResult;
  status(value: string): TokenStatus;
  /** The account a token belongs to, if WeChat would accept it now. */
  accept(value: string): { appid: string } | undefined;
  current(appid: string, kind: TokenKind): string | undefined;
  expire(appid?: string): number;
  clear(): void;
}

export function createMockTokens(settings: MockTokenSettings): MockTokens {
  const all = new Map<string, Issued>();
  const current = new Map<string, Issued>();
  const forced = new Map<string, { day: string; count: number; lastAt: number }>();

  const renewWindowMs = () => 1000 * (settings.renewWindowS ?? Math.min(300, settings.tokenTtlS / 24));
  // WeChat answers whole seconds; fractional TTLs and the last second (tests) keep milliseconds.
  const seconds = (ms: number) => (Number.isInteger(settings.tokenTtlS) && ms >= 1000 ? Math.floor(ms / 1000) : Math.round(ms) / 1000);

  function status(t: Issued | undefined, now = Date.now()): TokenStatus {
    if (!t) return 'unknown';
    if (now >= t.expiresAt) return 'expired';
    if (t.supersededAt === undefined) return 'valid';
    return now < t.supersededAt + settings.graceS * 1000 ? 'grace' : 'superseded';
  }

  function prune(now: number): void {
    if (all.size < 10_000) return;
    for (const [k, t] of all) if (status(t, now) === 'expired' || status(t, now) === 'superseded') all.delete(k);
  }

  function issue(appid: string, kind: TokenKind, supersedePrevious: boolean): IssueResult {
    const now = Date.now();
    prune(now);
    const prev = current.get(`${kind}:${appid}`);
    if (prev && supersedePrevious && prev.supersededAt === undefined) prev.supersededAt = now;
    const t: Issued = { value: randomBytes(72).toString('base64url'), appid, kind, issuedAt: now, expiresAt: now + settings.tokenTtlS * 1000 };
    all.set(t.value, t);
    current.set(`${kind}:${appid}`, t);
    return { token: t.value, expiresInS: seconds(t.expiresAt - now), issued: true };
  }

  function forceAllowed(appid: string, now: number): IssueResult | undefined {
    const day = new Date(now + 8 * 3600_000).toISOString().slice(0, 10);
    let f = forced.get(appid);
    if (!f || f.day !== day) forced.set(appid, (f = { day, count: 0, lastAt: 0 }));
    if (f.count >= settings.forcedPerDay) return { errcode: 45009, errmsg: 'reach max api daily quota limit' };
    if (now - f.lastAt < settings.forcedIntervalS * 1000) return { errcode: 45011, errmsg: 'api minute-quota reach limit  mustslower  retry next minute' };
    f.count++;
    f.lastAt = now;
    return undefined;
  }

  return {
    classic: (appid) => issue(appid, 'classic', true),
    stable(appid, force) {
      const now = Date.now();
      if (force) return forceAllowed(appid, now) ?? issue(appid, 'stable', true);
      const cur = current.get(`stable:${appid}`);
      if (cur && status(cur, now) === 'valid' && cur.expiresAt - now > renewWindowMs()) {
        return { token: cur.value, expiresInS: seconds(cur.expiresAt - now), issued: false };
      }
      return issue(appid, 'stable', false);
    },
    status: (value) => status(all.get(value)),
    accept(value) {
      const t = all.get(value);
      const s = status(t);
      return s === 'valid' || s === 'grace' ? { appid: t!.appid } : undefined;
    },
    current: (appid, kind) => current.get(`${kind}:${appid}`)?.value,
    expire(appid) {
      const now = Date.now();
      let n = 0;
      for (const t of all.values()) {
        if ((appid === undefined || t.appid === appid) && t.expiresAt > now) {
          t.expiresAt = now;
          n++;
        }
      }
      return n;
    },
    clear() {
      all.clear();
      current.clear();
      forced.clear();
    },
  };
}
