// Token storm: two processes, each with N concurrent senders going through the client and the
// token keeper, against the mock WeChat API with a token that lives a few seconds. Every
// expiry hits ~2N callers at once; the keeper must answer it with exactly one fetch, and no
// send may fail for a stale token once the client's one retry has run.
//
//   node --import tsx bench/token-storm.ts [--duration 20] [--concurrency 50] [--ttl 3] [--api stable|classic] [--ahead 0] [--log-level error]
//
// Writes bench/results/token-storm.json and prints a short table. Loopback only, bounded in time.
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import type { AppConfig } from '../src/config.js';
import { createMockWeChat } from '../src/dev/mock-wechat/index.js';
import { WxgateError } from '../src/errors.js';
import { createLogger } from '../src/logger.js';
import { createWeChatClient } from '../src/wechat-api/client.js';
import { createTokenKeeper } from '../src/wechat-api/token-keeper.js';
import { deletePrefix } from './lib/redis-cleanup.js';
import { redisKeys } from '../src/redis-keys.js';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const APPID = 'wxtokenstorm001';
const SELF = fileURLToPath(import.meta.url);

interface ChildConfig {
  apiBase: string;
  prefix: string;
  app: AppConfig;
  concurrency: number;
  durationMs: number;
  refreshAheadS: number;
  /** Children log to stderr at this level (default error: a storm is noisy at info). */
  logLevel: string;
}

interface ChildResult {
  pid: number;
  ok: number;
  failed: Record<string, number>;
  stale: number;
  retriedOk: number;
  keeper: { fetches: number; fetchErrors: number; invalidations: number; memoryHits: number; redisReads: number };
}

// ── child: N senders through one keeper ─────────────────────────────────────────────────

async function child(cfg: ChildConfig): Promise<void> {
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 2 });
  const logger = createLogger({ level: cfg.logLevel, destination: process.stderr });
  const keeper = createTokenKeeper({ redis, logger }, { apps: [cfg.app], apiBase: cfg.apiBase, keys: redisKeys({ prefix: cfg.prefix }), refreshAheadS: cfg.refreshAheadS, refreshTickMs: 200 });
  const client = createWeChatClient({ tokenKeeper: keeper, logger }, { apiBase: cfg.apiBase });
  if (cfg.refreshAheadS > 0) await keeper.start();
  process.stdout.write(`${JSON.stringify({ ready: true })}\n`);
  await new Promise<void>((resolve) => createInterface({ input: process.stdin }).once('line', () => resolve()));

  const result: ChildResult = { pid: process.pid, ok: 0, failed: {}, stale: 0, retriedOk: 0, keeper: { fetches: 0, fetchErrors: 0, invalidations: 0, memoryHits: 0, redisReads: 0 } };
  const until = Date.now() + cfg.durationMs;
  await Promise.all(
    Array.from({ length: cfg.concurrency }, async (_, i) => {
      for (let k = 0; Date.now() < until; k++) {
        try {
          await client.sendCustom(APPID, { touser: `oStorm${process.pid}x${i}`, msgtype: 'text', text: { content: `m${k}` } });
          result.ok++;
        } catch (err) {
          const code = err instanceof WxgateError ? err.code : 'error';
          result.failed[code] = (result.failed[code] ?? 0) + 1;
          if (['wechat_40001', 'wechat_40014', 'wechat_42001'].includes(code)) result.stale++;
        }
      }
    }),
  );
  result.keeper = (await keeper.stats(APPID)).process;
  await keeper.stop();
  redis.disconnect();
  process.stdout.write(`${JSON.stringify({ done: true, result })}\n`);
}

// ── parent: mock, two children, the report ──────────────────────────────────────────────

function startChild(cfg: ChildConfig) {
  const proc = spawn(process.execPath, ['--import', 'tsx', SELF, '--child', JSON.stringify(cfg)], { stdio: ['pipe', 'pipe', 'inherit'] });
  let ready!: () => void;
  const readyP = new Promise<void>((r) => (ready = r));
  const done = new Promise<ChildResult>((resolve, reject) => {
    createInterface({ input: proc.stdout! }).on('line', (line) => {
      const msg = JSON.parse(line) as { ready?: boolean; done?: boolean; result: ChildResult };
      if (msg.ready) ready();
      if (msg.done) resolve(msg.result);
    });
    proc.once('exit', (code) => reject(new Error(`child exited with ${code} before reporting`)));
  });
  return { proc, ready: readyP, done, go: () => proc.stdin!.write('go\n') };
}

async function parent(opts: { durationS: number; concurrency: number; ttlS: number; api: 'stable' | 'classic'; aheadS: number; logLevel: string }): Promise<void> {
  const prefix = `bench-token-storm-${randomUUID().slice(0, 8)}`;
  const mock = createMockWeChat({}, { appsecrets: { [APPID]: 'storm-secret' }, tokenTtlS: opts.ttlS, graceS: Math.min(300, opts.ttlS / 2) });
  const server = await mock.listen(0, '127.0.0.1');
  const app: AppConfig = { appid: APPID, token: 'stormtoken', appsecret: 'storm-secret', tokenApi: opts.api, mode: 'plain', replyMode: 'custom', queueShards: 1 };
  const cfg: ChildConfig = { apiBase: server.url, prefix, app, concurrency: opts.concurrency, durationMs: opts.durationS * 1000, refreshAheadS: opts.aheadS, logLevel: opts.logLevel };
  const children = [startChild(cfg), startChild(cfg)];
  const guard = setTimeout(() => {
    process.stderr.write('token-storm: over time, stopping the children\n');
    for (const c of children) c.proc.kill('SIGKILL');
  }, (opts.durationS + 60) * 1000);
  try {
    await Promise.all(children.map((c) => c.ready));
    const started = Date.now();
    for (const c of children) c.go();
    const results = await Promise.all(children.map((c) => c.done));
    const elapsedS = (Date.now() - started) / 1000;
    const stats = mock.state.stats();
    const fetches = stats.tokenFetches.total;
    const issued = stats.tokenFetches.issued;
    const expiries = Math.max(0, issued - 1);
    const ok = results.reduce((n, r) => n + r.ok, 0);
    const failed: Record<string, number> = {};
    for (const r of results) for (const [k, v] of Object.entries(r.failed)) failed[k] = (failed[k] ?? 0) + v;
    const report = {
      at: new Date().toISOString(),
      settings: { ...opts, processes: 2 },
      elapsedS: Math.round(elapsedS * 10) / 10,
      sends: { ok, perSecond: Math.round(ok / elapsedS), failed, staleAfterRetry: results.reduce((n, r) => n + r.stale, 0) },
      mock: { firstAttemptStale: stats.sends.byErrcode['40001'] ?? 0, byErrcode: stats.sends.byErrcode },
      tokens: {
        fetches,
        issued,
        expiries,
        // The first fetch fills the empty store; every later one should answer exactly one expiry.
        fetchesPerExpiry: expiries === 0 ? null : Math.round(((fetches - 1) / expiries) * 100) / 100,
        forced: stats.tokenFetches.forced,
        failed: stats.tokenFetches.failed,
      },
      perProcess: results.map((r) => ({ pid: r.pid, ok: r.ok, ...r.keeper })),
    };
    const dir = join(import.meta.dirname, 'results');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'token-storm.json'), `${JSON.stringify(report, null, 2)}\n`);
    const rows: [string, string | number, string][] = [
      ['duration s', report.elapsedS, ''],
      ['sends ok', ok, ''],
      ['sends / s', report.sends.perSecond, ''],
      ['token expiries', expiries, ''],
      ['token fetches', fetches, ''],
      ['fetches per expiry', report.tokens.fetchesPerExpiry ?? '-', 'target 1'],
      ['first attempts rejected (40001)', report.mock.firstAttemptStale, 'retried once'],
      ['sends failed: stale token', report.sends.staleAfterRetry, 'target 0'],
      ['sends failed: other', Object.values(failed).reduce((a, b) => a + b, 0) - report.sends.staleAfterRetry, ''],
    ];
    process.stdout.write(`\ntoken storm: 2 processes × ${opts.concurrency} senders, ${opts.api} API, token TTL ${opts.ttlS} s, refresh-ahead ${opts.aheadS} s\n\n`);
    process.stdout.write('| measure | value | note |\n|---|---:|---|\n');
    for (const [k, v, note] of rows) process.stdout.write(`| ${k} | ${v} | ${note} |\n`);
    process.stdout.write(`\nwritten to bench/results/token-storm.json\n`);
  } finally {
    clearTimeout(guard);
    for (const c of children) c.proc.kill('SIGKILL');
    await server.close();
    await deletePrefix(REDIS_URL, prefix);
  }
}

const { values } = parseArgs({
  strict: true,
  options: {
    child: { type: 'string' },
    duration: { type: 'string', default: '20' },
    concurrency: { type: 'string', default: '50' },
    ttl: { type: 'string', default: '3' },
    api: { type: 'string', default: 'stable' },
    ahead: { type: 'string', default: '0' },
    'log-level': { type: 'string', default: 'error' },
  },
});

if (values.child) {
  await child(JSON.parse(values.child) as ChildConfig);
} else {
  const api = values.api === 'classic' ? 'classic' : 'stable';
  await parent({ durationS: Number(values.duration), concurrency: Number(values.concurrency), ttlS: Number(values.ttl), api, aheadS: Number(values.ahead), logLevel: values['log-level'] });
}
