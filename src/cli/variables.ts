// The environment variables of `serve`, `worker` and `all`, for their --help (issue 16: it only
// said "see README"). The defaults are not written here: they are read from what loadConfig
// gives when nothing is set, so the help cannot drift from src/config.ts. A test checks that
// every variable config.ts reads is in this list, and in docs/configuration.md's table.
import { loadConfig, type Config } from '../config.js';

export type ServiceCommand = 'serve' | 'worker' | 'all';

interface Variable {
  name: string;
  /** The value loadConfig gives it when unset; absent: no default (shown as —). */
  of?: (c: Config) => unknown;
  /** The default in words, where it is not a value (WXGATE_HANDLERS). */
  fallback?: string;
  meaning: string;
  commands: readonly ServiceCommand[];
}

const ALL: readonly ServiceCommand[] = ['serve', 'worker', 'all'];
const RECEIVER: readonly ServiceCommand[] = ['serve', 'all'];
const WORKERS: readonly ServiceCommand[] = ['worker', 'all'];
// serve fetches tokens too when it serves the internal API.
const TOKENS: readonly ServiceCommand[] = ALL;

export const VARIABLES: readonly Variable[] = [
  { name: 'PORT', of: (c) => c.port, meaning: 'receiver port', commands: RECEIVER },
  { name: 'HOST', of: (c) => c.host, meaning: 'address to listen on', commands: ALL },
  { name: 'REDIS_URL', of: (c) => c.redisUrl, meaning: 'queues, token store, locks', commands: ALL },
  { name: 'WXGATE_PREFIX', of: (c) => c.prefix, meaning: 'Redis key prefix', commands: ALL },
  { name: 'REDIS_CLUSTER_NODES', meaning: 'Redis Cluster: host:port,… or rediss://user:password@host:port,… (REDIS_URL unused)', commands: ALL },
  { name: 'REDIS_TLS_CA_FILE', fallback: 'public CAs', meaning: 'CA certificate (PEM) for rediss:// with a private CA', commands: ALL },
  { name: 'WXGATE_REDIS_WAIT_REPLICAS', of: (c) => c.redisWaitReplicas, meaning: 'replicas that must have a push before success (Redis WAIT)', commands: RECEIVER },
  { name: 'WXGATE_QUEUE_SHARDS', of: (c) => c.apps[0]?.queueShards ?? 1, meaning: 'inbound queues per account on Redis Cluster', commands: ALL },
  { name: 'WECHAT_APPID', meaning: 'the account (single-account mode)', commands: ALL },
  { name: 'WECHAT_TOKEN', meaning: 'the Token from the MP console', commands: ALL },
  { name: 'WECHAT_APPSECRET', meaning: 'needed to fetch the access_token (replies)', commands: TOKENS },
  { name: 'WECHAT_ENCODING_AES_KEY', meaning: 'set: safe and compatibility mode are accepted', commands: RECEIVER },
  { name: 'WECHAT_ENCODING_AES_KEY_PREVIOUS', meaning: 'the key before the last rotation', commands: RECEIVER },
  { name: 'WECHAT_MESSAGE_MODE', fallback: 'plain (safe with a key)', meaning: 'which pushes are accepted: plain, safe or compat', commands: RECEIVER },
  { name: 'WECHAT_REPLY_MODE', fallback: 'custom', meaning: 'how replies travel: custom (客服), passive (in the answer) or auto', commands: ALL },
  { name: 'WECHAT_TOKEN_API', of: (c) => c.apps[0]?.tokenApi, meaning: 'stable or classic token API', commands: TOKENS },
  { name: 'WXGATE_APPS_FILE', meaning: 'JSON list of accounts (multi-account mode)', commands: ALL },
  { name: 'WECHAT_API_BASE', of: (c) => c.apiBase, meaning: 'where the WeChat API is', commands: TOKENS },
  { name: 'WXGATE_HANDLERS', fallback: 'built-in demo', meaning: 'module with the account\'s handlers', commands: WORKERS },
  { name: 'WXGATE_INTERNAL_TOKEN', meaning: 'bearer token for /internal; unset: off', commands: RECEIVER },
  { name: 'WXGATE_DASHBOARD_USER', meaning: 'queue dashboard under /admin/queues (HTTP Basic); unset: off', commands: RECEIVER },
  { name: 'WXGATE_DASHBOARD_PASSWORD', meaning: '… and its password (at least 12 characters)', commands: RECEIVER },
  { name: 'WXGATE_SPOOL_DIR', of: (c) => c.spoolDir, meaning: 'local spool while Redis is unreachable', commands: ALL },
  { name: 'WXGATE_TIMESTAMP_TOLERANCE_S', of: (c) => c.timestampToleranceS, meaning: 'how far a push\'s timestamp may be from now', commands: RECEIVER },
  { name: 'WXGATE_BODY_LIMIT_BYTES', of: (c) => c.bodyLimitBytes, meaning: 'larger bodies get 413', commands: RECEIVER },
  { name: 'WXGATE_ENQUEUE_TIMEOUT_MS', of: (c) => c.enqueueTimeoutMs, meaning: 'Redis\'s time to take a push before it is spooled', commands: RECEIVER },
  { name: 'WXGATE_PASSIVE_WAIT_MS', of: (c) => c.passive.waitMs, meaning: 'passive and auto: the wait for the first reply (50–4500)', commands: ALL },
  { name: 'WXGATE_PASSIVE_USE_RETRIES', of: (c) => (c.passive.useRetries ? 1 : 0), meaning: '1: passive replies may use WeChat\'s retries (each timeout counts toward its alerts)', commands: ALL },
  { name: 'WXGATE_REDIS_CHECK_INTERVAL_MS', of: (c) => c.redisCheckIntervalMs, meaning: 'how often Redis\'s settings and data are checked', commands: ALL },
  { name: 'WXGATE_REQUEST_TIMEOUT_MS', of: (c) => c.http.requestTimeoutMs, meaning: 'a request\'s headers and body must arrive within this', commands: ALL },
  { name: 'WXGATE_IDLE_TIMEOUT_MS', of: (c) => c.http.idleTimeoutMs, meaning: 'no byte of a request for this long: closed', commands: ALL },
  { name: 'WXGATE_KEEPALIVE_TIMEOUT_MS', of: (c) => c.http.keepAliveTimeoutMs, meaning: 'idle keep-alive connections closed after this', commands: ALL },
  { name: 'WXGATE_SHUTDOWN_TIMEOUT_MS', of: (c) => c.shutdownTimeoutMs, meaning: 'SIGTERM: the process is gone within this', commands: ALL },
  { name: 'WXGATE_HEAP_GROWING_PERCENT', of: (c) => c.heapGrowingPercent, meaning: 'V8 heap growth per full GC, % (0: V8\'s own); bounds RSS', commands: ALL },
  { name: 'WXGATE_WORKER_CONCURRENCY', of: (c) => c.worker.concurrency, meaning: 'handlers (and sends) at once per process', commands: WORKERS },
  { name: 'WXGATE_JOB_TIMEOUT_MS', of: (c) => c.worker.jobTimeoutMs, meaning: 'a handler\'s time limit', commands: WORKERS },
  { name: 'WXGATE_JOB_ATTEMPTS', of: (c) => c.worker.attempts, meaning: 'tries per inbound job', commands: ALL },
  { name: 'WXGATE_OUTBOUND_RATE', of: (c) => c.worker.outboundRatePerSecond, meaning: 'customer-service calls per second per appid', commands: WORKERS },
  { name: 'WXGATE_LOCK_DURATION_MS', of: (c) => c.worker.lockDurationMs, meaning: 'a running job\'s lock without renewal', commands: WORKERS },
  { name: 'WXGATE_STALLED_INTERVAL_MS', of: (c) => c.worker.stalledIntervalMs, meaning: 'how often jobs with expired locks are looked for', commands: WORKERS },
  { name: 'WXGATE_UNKNOWN_SEND', of: (c) => c.worker.unknownSend, meaning: 'a reply whose worker died mid-send: hold (dead-letter list) or resend', commands: WORKERS },
  { name: 'WXGATE_QUOTA_MESSAGE_REPLIES', of: (c) => c.quota.messageReplies, meaning: 'replies allowed after a user message', commands: WORKERS },
  { name: 'WXGATE_QUOTA_MESSAGE_WINDOW_S', of: (c) => c.quota.messageWindowS, meaning: '… within this many seconds', commands: WORKERS },
  { name: 'WXGATE_QUOTA_EVENT_REPLIES', of: (c) => c.quota.eventReplies, meaning: 'replies allowed after a click, follow or scan', commands: WORKERS },
  { name: 'WXGATE_QUOTA_EVENT_WINDOW_S', of: (c) => c.quota.eventWindowS, meaning: '… within this many seconds', commands: WORKERS },
  { name: 'WXGATE_TOKEN_REFRESH_AHEAD_S', of: (c) => c.token.refreshAheadS, meaning: 'refresh the access_token this long before expiry', commands: TOKENS },
  { name: 'WXGATE_TOKEN_DAILY_QUOTA', of: (c) => c.token.dailyQuota, meaning: 'token fetches allowed per day', commands: TOKENS },
  { name: 'WXGATE_TOKEN_QUOTA_WARN_RATIO', of: (c) => c.token.quotaWarnRatio, meaning: 'warn at this share of the daily quota', commands: TOKENS },
  { name: 'WXGATE_DATABASE_URL', meaning: 'PostgreSQL for template messages and campaigns; unset: off', commands: ALL },
  { name: 'WXGATE_DATABASE_SCHEMA', of: (c) => c.campaigns.databaseSchema, meaning: 'the schema of the message centre\'s tables', commands: ALL },
  { name: 'WXGATE_TEMPLATE_RATE', fallback: 'unlimited', meaning: 'template/send calls per second per appid', commands: WORKERS },
  { name: 'WXGATE_TEMPLATE_CONCURRENCY', of: (c) => c.campaigns.concurrency, meaning: 'template sends in flight per process', commands: WORKERS },
  { name: 'WXGATE_METRICS_PORT', meaning: '/healthz, /readyz and /metrics on this port', commands: ['worker'] },
  { name: 'WXGATE_LOG_FILE', meaning: 'logs to this file (rotated) instead of stdout', commands: ALL },
  { name: 'WXGATE_LOG_STDOUT', of: (c) => (c.logStdout ? 1 : 0), meaning: '1: with WXGATE_LOG_FILE, stdout as well', commands: ALL },
  { name: 'LOG_LEVEL', of: (c) => c.logLevel, meaning: 'pino level', commands: ALL },
];

/** The defaults: a configuration with nothing set but the one account it requires. */
const defaults = () => loadConfig({ WECHAT_APPID: 'wxhelp', WECHAT_TOKEN: 'help' });

/** `usage`, the command's description, then its variables with their defaults. */
export function commandHelp(command: ServiceCommand, description: string): string {
  const config = defaults();
  const rows = VARIABLES.filter((v) => v.commands.includes(command)).map((v) => {
    const value = v.of?.(config);
    return [v.name, value === undefined ? v.fallback ?? '—' : String(value), v.meaning] as const;
  });
  const nameWidth = Math.max(...rows.map((r) => r[0].length)) + 2;
  const valueWidth = Math.max(...rows.map((r) => r[1].length)) + 2;
  const table = rows.map(([name, value, meaning]) => `  ${name.padEnd(nameWidth)}${value.padEnd(valueWidth)}${meaning}`).join('\n');
  return `usage: wxgate ${command}\n\n${description.trim()}\n\nEnvironment (name, default, meaning; docs/configuration.md says more):\n${table}\n`;
}
