// What the benchmarks hand a wxgate process they start: one account against the mock WeChat
// API, their own key prefix and spool, the machine's Redis.
import { join } from 'node:path';

export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

export interface GatewayEnvOptions {
  prefix: string;
  dir: string;
  apiBase: string;
  account: { appid: string; token: string; aesKey?: string };
}

export function gatewayEnv({ prefix, dir, apiBase, account }: GatewayEnvOptions): Record<string, string> {
  return {
    REDIS_URL,
    WXGATE_PREFIX: prefix,
    WXGATE_SPOOL_DIR: join(dir, 'spool'),
    WECHAT_APPID: account.appid,
    WECHAT_APPSECRET: 'bench-secret',
    WECHAT_TOKEN: account.token,
    ...(account.aesKey && { WECHAT_ENCODING_AES_KEY: account.aesKey }),
    WECHAT_API_BASE: apiBase,
  };
}
