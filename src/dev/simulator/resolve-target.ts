// Where and as whom `wxgate simulate` / `wxgate probe` push: the flags, else the account wxgate
// itself is configured with (WECHAT_* / WXGATE_APPS_FILE via loadConfig), so on the server
// `wxgate probe` needs no flags at all.
import type { AppConfig, Config } from '../../config.js';
import type { PushMode } from '../pushes.js';

export class UsageError extends Error {}

/** The flags that name where to push and as which account: `probe` and `simulate` both take them. */
export const TARGET_OPTIONS = {
  url: { type: 'string' },
  appid: { type: 'string' },
  token: { type: 'string' },
  'aes-key': { type: 'string' },
  mode: { type: 'string' },
  'timeout-ms': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

export interface TargetFlags {
  url?: string;
  appid?: string;
  token?: string;
  'aes-key'?: string;
  mode?: string;
}

export interface Target {
  url: string;
  appid: string;
  token: string;
  aesKey?: string;
  mode: PushMode;
}

const MODES: readonly string[] = ['plain', 'compat', 'aes'];

/**
 * Push as the account accepts them (WECHAT_MESSAGE_MODE): encrypted unless it takes plaintext
 * only; an account named by flags alone, encrypted when a key is given.
 */
function defaultMode(app: AppConfig | undefined, aesKey: string | undefined): PushMode {
  if (app) return app.mode === 'plain' ? 'plain' : 'aes';
  return aesKey ? 'aes' : 'plain';
}

export function resolveTarget(flags: TargetFlags, config: Config): Target {
  const appid = flags.appid ?? config.defaultAppid;
  if (!appid) throw new UsageError('no account: give --appid and --token (or set WECHAT_APPID and WECHAT_TOKEN)');
  const app = config.apps.find((a) => a.appid === appid);
  const token = flags.token ?? app?.token;
  if (!token) throw new UsageError(`no token for ${appid}: give --token (or set WECHAT_TOKEN)`);
  const aesKey = flags['aes-key'] ?? app?.encodingAESKey;
  if (flags.mode !== undefined && !MODES.includes(flags.mode)) throw new UsageError(`--mode ${flags.mode}: use plain, compat or aes`);
  const mode = (flags.mode ?? defaultMode(app, aesKey)) as PushMode;
  if (mode !== 'plain' && !aesKey) throw new UsageError(`--mode ${mode} needs --aes-key (or WECHAT_ENCODING_AES_KEY)`);
  // Several accounts: each has its own path; the single account is also served at plain /wechat.
  const path = config.apps.length > 1 || (flags.appid !== undefined && flags.appid !== config.defaultAppid) ? `/wechat/${appid}` : '/wechat';
  const url = flags.url ?? `http://127.0.0.1:${config.port}${path}`;
  try {
    if (new URL(url).protocol !== 'http:') throw new Error('not http');
  } catch {
    throw new UsageError(`--url ${url}: give an http:// URL, e.g. http://127.0.0.1:3000/wechat`);
  }
  return { url, appid, token, aesKey, mode };
}

export function positiveInt(name: string, raw: string | undefined, fallback: number, { min = 1 } = {}): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min) throw new UsageError(`--${name} ${raw}: give a whole number ≥ ${min}`);
  return n;
}
