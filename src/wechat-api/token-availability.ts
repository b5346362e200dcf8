// Whether this process can get each account's access_token, as seen by its calls: one log line
// per change of state (not one per waiting send), a gauge, a count of the sends that waited, and
// the state for /readyz. Unavailable: getting a token failed (TokenUnavailableError). Available:
// a token was fetched here, or WeChat answered a call without rejecting its token. A token read
// from Redis proves nothing (it may be the very token WeChat just rejected), so reading one does
// not count: otherwise every waiting send would flip the state back and forth.
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import type { TokenUnavailableError } from './token-unavailable.js';

export type TokenState = 'unknown' | 'available' | 'unavailable';

export interface TokenAvailabilityView {
  readonly state: TokenState;
  /** Epoch ms of the last change of state. */
  readonly since: number | null;
  /** While unavailable: why, and what to do. */
  readonly reason?: string;
  readonly errcode?: number;
  readonly hint?: string;
  /** Sends that waited for the token (moved back to delayed), since this process started. */
  readonly waits: number;
}

export interface TokenAvailability {
  /** Getting the token failed. Logs an error line when the account was not already unavailable. */
  down(err: TokenUnavailableError): void;
  /** The token works (fetched here, or accepted by WeChat). Logs a line when it was unavailable. */
  up(appid: string): void;
  /** One send postponed while the token is unavailable. */
  waited(appid: string): void;
  view(appid: string): TokenAvailabilityView;
  /** Every account this process has seen, by appid. */
  all(): Record<string, TokenAvailabilityView>;
}

type Entry = { -readonly [K in keyof TokenAvailabilityView]: TokenAvailabilityView[K] };

export function createTokenAvailability({ logger, metrics }: { logger: Logger; metrics?: Pick<Metrics, 'tokenAvailable' | 'tokenWaits'> }, { appids = [] }: { appids?: readonly string[] } = {}): TokenAvailability {
  const log = logger.child({ layer: 'token' });
  const entries = new Map<string, Entry>();
  const entry = (appid: string): Entry => {
    let e = entries.get(appid);
    if (!e) entries.set(appid, (e = { state: 'unknown', since: null, waits: 0 }));
    return e;
  };
  for (const appid of appids) entry(appid);

  return {
    down(err) {
      const e = entry(err.appid);
      const was = e.state;
      Object.assign(e, { state: 'unavailable', reason: err.reason, errcode: err.errcode, hint: err.hint });
      if (was === 'unavailable') return;
      e.since = Date.now();
      metrics?.tokenAvailable.set({ appid: err.appid }, 0);
      log.error(
        { appid: err.appid, state: 'unavailable', was, code: err.reason, errcode: err.errcode, errmsg: err.errmsg },
        `access_token unavailable: sends of ${err.appid} wait (no attempt spent) until it is back: ${err.hint}`,
      );
    },
    up(appid) {
      const e = entry(appid);
      if (e.state === 'available') return;
      const was = e.state;
      const downMs = was === 'unavailable' && e.since !== null ? Date.now() - e.since : undefined;
      Object.assign(e, { state: 'available', since: Date.now(), reason: undefined, errcode: undefined, hint: undefined });
      metrics?.tokenAvailable.set({ appid }, 1);
      if (was === 'unavailable') log.warn({ appid, state: 'available', was, downMs, waits: e.waits }, `access_token available again: waiting sends of ${appid} resume`);
    },
    waited(appid) {
      entry(appid).waits++;
      metrics?.tokenWaits.inc({ appid });
    },
    view: (appid) => ({ ...entry(appid) }),
    all: () => Object.fromEntries([...entries].map(([appid, e]) => [appid, { ...e }])),
  };
}
