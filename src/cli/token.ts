// `wxgate token show|refresh`: look at or renew the shared access_token of each account.
// `show` prints a fingerprint, never the token, unless --reveal. `refresh` goes through the
// keeper and its Redis lock, so it never races the running servers; with the stable API it
// forces a new token (WeChat allows 20 a day) unless --normal.
import { parseArgs } from 'node:util';
import { createRedis, type RedisConnection } from '../redis.js';
import { loadConfig, type Config } from '../config.js';
import { WxgateError } from '../errors.js';
import { createLogger } from '../logger.js';
import { keeperOptions } from '../wechat-api/create-api-runtime.js';
import { createTokenKeeper, type TokenKeeper } from '../wechat-api/token-keeper.js';

const USAGE = `usage: wxgate token show [--appid X] [--reveal] [--json]
       wxgate token refresh [--appid X] [--normal]

show     the stored access_token of each account: fingerprint, expiry, source, fetches today
refresh  fetch a new token now, under the keeper's lock (stable API: forced unless --normal)
`;

const iso = (ms: number | undefined) => (ms === undefined || !Number.isFinite(ms) ? '-' : new Date(ms).toISOString());

async function show(keeper: TokenKeeper, appids: string[], { reveal, json }: { reveal: boolean; json: boolean }): Promise<number> {
  const rows = [];
  for (const appid of appids) {
    const s = await keeper.stats(appid);
    const stored = reveal ? await keeper.peek(appid) : null;
    rows.push({
      appid,
      fingerprint: s.token?.fingerprint ?? null,
      expires_at: s.token ? iso(s.token.expiresAt) : null,
      fetched_at: s.token ? iso(s.token.fetchedAt) : null,
      source: s.token?.source ?? null,
      fetches_today: s.fetchesToday,
      daily_quota: s.dailyQuota,
      backoff: s.backoff ? `${s.backoff.code} until ${iso(s.backoff.until)}` : null,
      ...(reveal ? { access_token: stored && stored.expiresAt > Date.now() ? stored.token : null } : {}),
    });
  }
  if (json) {
    process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
    return 0;
  }
  for (const r of rows) {
    process.stdout.write(
      [
        `appid          ${r.appid}`,
        `fingerprint    ${r.fingerprint ?? '(no valid token stored)'}`,
        `expires_at     ${r.expires_at ?? '-'}`,
        `fetched_at     ${r.fetched_at ?? '-'}`,
        `source         ${r.source ?? '-'}`,
        `fetches today  ${r.fetches_today} of ${r.daily_quota}`,
        ...(r.backoff ? [`backoff        ${r.backoff}`] : []),
        ...(reveal ? [`access_token   ${r.access_token ?? '-'}`] : []),
        '',
      ].join('\n') + '\n',
    );
  }
  return 0;
}

async function refresh(keeper: TokenKeeper, appids: string[], force: boolean): Promise<number> {
  let failed = 0;
  for (const appid of appids) {
    try {
      await keeper.refresh(appid, { force });
      const s = await keeper.stats(appid);
      process.stdout.write(`${appid}  refreshed  fingerprint ${s.token?.fingerprint ?? '-'}  expires_at ${iso(s.token?.expiresAt)}  source ${s.token?.source ?? '-'}\n`);
    } catch (err) {
      failed++;
      const code = err instanceof WxgateError ? err.code : 'error';
      process.stderr.write(`${appid}  refresh failed: ${code}: ${(err as Error).message}\n`);
    }
  }
  return failed === 0 ? 0 : 1;
}

function keeperFor(config: Config, redis: RedisConnection): TokenKeeper {
  // Logs go to stderr so that stdout holds only the answer.
  const logger = createLogger({ level: config.logLevel === 'info' ? 'warn' : config.logLevel, destination: process.stderr });
  return createTokenKeeper(
    { redis, logger },
    keeperOptions(config),
  );
}

export async function run(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        appid: { type: 'string' },
        reveal: { type: 'boolean', default: false },
        json: { type: 'boolean', default: false },
        normal: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    process.stderr.write(`wxgate token: ${(err as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  const sub = positionals[0];
  if (values.help || (sub !== 'show' && sub !== 'refresh')) {
    process.stdout.write(USAGE);
    return values.help ? 0 : 2;
  }
  const config = loadConfig();
  const appids = values.appid ? [values.appid] : config.apps.map((a) => a.appid);
  const unknown = appids.filter((a) => !config.apps.some((c) => c.appid === a));
  if (unknown.length > 0) {
    process.stderr.write(`wxgate token: appid ${unknown.join(', ')} is not configured (configured: ${config.apps.map((a) => a.appid).join(', ')})\n`);
    return 1;
  }
  const redis = createRedis(config, 'worker', { maxRetriesPerRequest: 1, connectTimeout: 3000 });
  try {
    const keeper = keeperFor(config, redis);
    return sub === 'show' ? await show(keeper, appids, { reveal: values.reveal, json: values.json }) : await refresh(keeper, appids, !values.normal);
  } finally {
    redis.disconnect();
  }
}
