// The only reader of process.env. Everything is validated here, once, at start: a bad value
// stops the process with a message that names the variable and says what to do.
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { parseClusterNodes, type ClusterConnection, type ClusterNodeAddress } from './cluster-nodes.js';
import { ConfigError } from './errors.js';
import { redactUrls } from './redact-url.js';
import type { KeyLayout } from './redis-keys.js';

/**
 * Which pushes an account accepts (issue 14): `plain` plaintext only, `safe` encrypted only
 * (encrypt_type=aes with msg_signature: the MP console's 安全模式 and its 兼容模式, whose pushes
 * carry Encrypt too), `compat` both, for the minutes of switching modes in the console.
 */
export const MESSAGE_MODES = ['plain', 'compat', 'safe'] as const;
export type MessageMode = (typeof MESSAGE_MODES)[number];

/**
 * How an account's replies travel (issue 17): `custom` through the customer-service (客服) API
 * after `success` (verified accounts); `passive` only in the answer to the push (被动回复: what an
 * unverified account has); `auto` the first reply passively when the handler is quick enough,
 * the rest and the late ones through 客服.
 */
export const REPLY_MODES = ['custom', 'passive', 'auto'] as const;
export type ReplyMode = (typeof REPLY_MODES)[number];

export interface AppConfig {
  readonly appid: string;
  /** The Token from the MP console (signature secret). */
  readonly token: string;
  /** 43-character EncodingAESKey: decrypts the pushes of modes `safe` and `compat`. */
  readonly encodingAESKey?: string;
  /** The key before the last rotation, still accepted for decryption. */
  readonly encodingAESKeyPrevious?: string;
  readonly appsecret?: string;
  /** Which token API the keeper uses for this account. */
  readonly tokenApi: 'stable' | 'classic';
  /** Accepted pushes; default `plain` without a key, `safe` with one. */
  readonly mode: MessageMode;
  /** How replies travel; default `custom`. */
  readonly replyMode: ReplyMode;
  /** Inbound queue shards on Redis Cluster (WXGATE_QUEUE_SHARDS, or the file's queueShards); 1: one queue. */
  readonly queueShards: number;
}

export type { ClusterConnection, ClusterNodeAddress };

export interface Config {
  readonly port: number;
  readonly host: string;
  readonly redisUrl: string;
  /** REDIS_CLUSTER_NODES: Redis Cluster mode (REDIS_URL is then unused). */
  readonly redisClusterNodes?: readonly ClusterNodeAddress[];
  /** With REDIS_CLUSTER_NODES: the credentials and TLS of its URL entries, for every node. */
  readonly redisCluster?: ClusterConnection;
  /** REDIS_TLS_CA_FILE's certificates (PEM): whom to trust for rediss:// instead of the system's CAs. */
  readonly redisTlsCa?: string;
  readonly prefix: string;
  /** How keys spread over Redis (redis-keys.ts): `shared` on one Redis, `account` on Redis Cluster. */
  readonly keyLayout: KeyLayout;
  readonly apps: readonly AppConfig[];
  /** Single-account mode: the account served at plain /wechat. */
  readonly defaultAppid?: string;
  readonly apiBase: string;
  readonly handlers?: string;
  readonly internalToken?: string;
  /** HTTP Basic credentials for the queue dashboard (/admin/queues); unset: no dashboard. */
  readonly dashboard?: { readonly user: string; readonly password: string };
  readonly spoolDir: string;
  readonly timestampToleranceS: number;
  readonly logLevel: string;
  readonly logFile?: string;
  /** `wxgate worker` serves /healthz and /metrics here when set (the receiver serves its own). */
  readonly metricsPort?: number;
  readonly bodyLimitBytes: number;
  readonly enqueueTimeoutMs: number;
  /** WXGATE_REDIS_WAIT_REPLICAS: replicas that must have a push's job before `success` (0: none, Redis's asynchronous replication). */
  readonly redisWaitReplicas: number;
  /** How often every process checks Redis's settings and its dataset marker (and after each reconnect). */
  readonly redisCheckIntervalMs: number;
  readonly worker: {
    readonly concurrency: number;
    readonly jobTimeoutMs: number;
    readonly attempts: number;
    readonly outboundRatePerSecond: number;
    /** How long a job's lock lasts without renewal: a killed worker's jobs are free again after it. */
    readonly lockDurationMs: number;
    /** How often each worker looks for jobs whose lock expired (stalled) and hands them on. */
    readonly stalledIntervalMs: number;
    /** A reply whose worker died with its send in flight: held in the dead-letter list, or sent again (outbound-processor.ts). */
    readonly unknownSend: UnknownSendPolicy;
  };
  readonly quota: {
    /** Replies allowed within the window after a user message (WeChat: 5 in 48 h). */
    readonly messageReplies: number;
    readonly messageWindowS: number;
    /** Replies allowed after a menu click, follow or QR scan (WeChat: 3 in 1 min). */
    readonly eventReplies: number;
    readonly eventWindowS: number;
  };
  readonly token: {
    readonly refreshAheadS: number;
    readonly dailyQuota: number;
    readonly quotaWarnRatio: number;
  };
  /** The message centre (template messages, campaigns): off without a database URL. */
  readonly campaigns: {
    readonly databaseUrl?: string;
    /** PostgreSQL schema for wxgate's tables (created by the migrations). */
    readonly databaseSchema: string;
    /** template/send calls per second per appid; undefined: as fast as the workers go. */
    readonly ratePerSecond?: number;
    readonly concurrency: number;
  };
  /** SIGTERM/SIGINT: the process is gone within this, whatever clients or Redis do. */
  readonly shutdownTimeoutMs: number;
  /**
   * V8's heap growing factor as a percentage (--heap-growing-percent): after each full GC the old
   * generation may grow by this much before the next; 0: V8's own factor (up to 4×). Applied by
   * serve, worker and all at start (heap-growth.ts; issue 15, the campaign's RSS).
   */
  readonly heapGrowingPercent: number;
  /** The HTTP servers' limits on slow and idle clients (docs/operations.md, "Start and stop"). */
  readonly http: {
    /** Headers, and the whole request, must have arrived within this. */
    readonly requestTimeoutMs: number;
    /** No byte of a request's headers or body for this long: the connection is closed. */
    readonly idleTimeoutMs: number;
    /** An idle keep-alive connection is closed after this (above nginx's upstream keepalive_timeout). */
    readonly keepAliveTimeoutMs: number;
  };
  /** With WXGATE_LOG_FILE: the lines go to stdout as well. */
  readonly logStdout: boolean;
  /** Accounts in reply mode passive or auto (docs/passive-replies.md). */
  readonly passive: {
    /** How long the receiver waits for the handler's first reply; always under WeChat's 5 s. */
    readonly waitMs: number;
    /** Mode passive: a reply not ready in time lets the delivery run out, so that WeChat's retry picks it up. */
    readonly useRetries: boolean;
  };
}

/** Chosen from the campaign benchmark's comparison (bench/README.md, "campaign"; issue 15). */
const DEFAULT_HEAP_GROWING_PERCENT = 20;

const AES_KEY = /^[A-Za-z0-9+/]{43}$/;

const appSchema = z.object({
  appid: z.string().trim().min(1, 'appid must not be empty'),
  token: z.string().regex(/^[A-Za-z0-9]{3,32}$/, 'token must be 3–32 letters or digits, as the MP console requires'),
  encodingAESKey: z.string().regex(AES_KEY, 'EncodingAESKey must be exactly 43 characters of [A-Za-z0-9+/]').optional(),
  encodingAESKeyPrevious: z.string().regex(AES_KEY, 'the previous EncodingAESKey must be exactly 43 characters of [A-Za-z0-9+/]').optional(),
  appsecret: z.string().min(1).optional(),
  tokenApi: z.enum(['stable', 'classic']).default('stable'),
  mode: z.enum(MESSAGE_MODES, { error: 'mode must be plain (plaintext pushes), safe (encrypted pushes) or compat (both, while switching modes in the MP console)' }).optional(),
  replyMode: z.enum(REPLY_MODES, { error: 'replyMode must be custom (customer-service API), passive (in the answer to the push) or auto (passive when in time, else customer service)' }).default('custom'),
  queueShards: z.number({ error: 'queueShards must be a whole number from 1 to 64' }).int('queueShards must be a whole number from 1 to 64').min(1, 'queueShards must be a whole number from 1 to 64').max(64, 'queueShards must be a whole number from 1 to 64').optional(),
});

type Env = Record<string, string | undefined>;

function str(env: Env, name: string): string | undefined {
  const v = env[name];
  return v === undefined || v.trim() === '' ? undefined : v.trim();
}

function int(env: Env, name: string, fallback: number, { min = 0, max = Number.MAX_SAFE_INTEGER } = {}): number {
  const raw = str(env, name);
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new ConfigError(`${name}=${JSON.stringify(raw)} is not valid: set it to a whole number from ${min} to ${max}, or unset it for the default ${fallback}.`);
  }
  return n;
}

function num(env: Env, name: string, fallback: number, { min = 0, max = Number.MAX_VALUE } = {}): number {
  const raw = str(env, name);
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < min || n > max) {
    throw new ConfigError(`${name}=${JSON.stringify(raw)} is not valid: set it to a number from ${min} to ${max}, or unset it for the default ${fallback}.`);
  }
  return n;
}

function flag(env: Env, name: string): boolean {
  const raw = str(env, name);
  if (raw === undefined || raw === '0' || raw === 'false') return false;
  if (raw === '1' || raw === 'true') return true;
  throw new ConfigError(`${name}=${JSON.stringify(raw)} is not valid: set it to 1 (on) or 0 (off).`);
}

function url(env: Env, name: string, fallback: string, protocols: string[]): string {
  const raw = str(env, name) ?? fallback;
  // The URL may carry a password: messages quote it masked.
  const shown = JSON.stringify(redactUrls(raw));
  if (name === 'REDIS_URL' && raw.startsWith('redis+cluster:')) {
    throw new ConfigError(`REDIS_URL=${shown}: a Redis Cluster is given by REDIS_CLUSTER_NODES=host:port,host:port,… (some of its nodes), not by a URL.`);
  }
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    throw new ConfigError(`${name}=${shown} is not a URL: set it like ${fallback}.`);
  }
  if (!protocols.includes(parsed.protocol)) {
    throw new ConfigError(`${name}=${shown} must use ${protocols.join(' or ')}: set it like ${fallback}.`);
  }
  return raw.replace(/\/+$/, '');
}

/** `where` names a field for the message's start, `name` inside it (a variable, or the file's field). */
function parseApp(input: unknown, where: (field: string) => string, name: (field: string) => string, queueShards: number): AppConfig {
  const result = appSchema.safeParse(input);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const field = String(issue.path[0] ?? 'appid');
    throw new ConfigError(`${where(field)}: ${issue.message}.`);
  }
  const { mode = result.data.encodingAESKey ? 'safe' : 'plain', queueShards: shards = queueShards, ...app } = result.data;
  if (mode !== 'plain' && !app.encodingAESKey) {
    throw new ConfigError(`${where('mode')}: ${mode} accepts encrypted pushes, which need the EncodingAESKey: set ${name('encodingAESKey')} as well, or use plain.`);
  }
  return Object.freeze({ ...app, mode, queueShards: shards });
}

const ENV_NAMES: Record<string, string> = {
  appid: 'WECHAT_APPID',
  token: 'WECHAT_TOKEN',
  encodingAESKey: 'WECHAT_ENCODING_AES_KEY',
  encodingAESKeyPrevious: 'WECHAT_ENCODING_AES_KEY_PREVIOUS',
  appsecret: 'WECHAT_APPSECRET',
  tokenApi: 'WECHAT_TOKEN_API',
  mode: 'WECHAT_MESSAGE_MODE',
  replyMode: 'WECHAT_REPLY_MODE',
};

function appsFromFile(file: string, queueShards: number): AppConfig[] {
  let list: unknown;
  try {
    list = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new ConfigError(`WXGATE_APPS_FILE=${file} could not be read as JSON (${(err as Error).message}): point it at a JSON array of accounts.`);
  }
  if (!Array.isArray(list) || list.length === 0) {
    throw new ConfigError(`WXGATE_APPS_FILE=${file} must hold a non-empty JSON array of {appid, token, encodingAESKey?, encodingAESKeyPrevious?, appsecret?, tokenApi?, mode?, replyMode?}.`);
  }
  return list.map((entry, i) => parseApp(entry, (field) => `WXGATE_APPS_FILE=${file}, entry ${i} (${field})`, (field) => field, queueShards));
}

function appFromEnv(env: Env, queueShards: number): AppConfig | undefined {
  const appid = str(env, 'WECHAT_APPID');
  const token = str(env, 'WECHAT_TOKEN');
  if (appid === undefined && token === undefined) return undefined;
  if (appid === undefined) throw new ConfigError('WECHAT_APPID is not set: set it to the account\'s AppID (MP console → 设置与开发 → 基本配置).');
  if (token === undefined) throw new ConfigError('WECHAT_TOKEN is not set: set it to the Token you entered in the MP console (服务器配置 → 令牌(Token)).');
  return parseApp(
    {
      appid,
      token,
      encodingAESKey: str(env, 'WECHAT_ENCODING_AES_KEY'),
      encodingAESKeyPrevious: str(env, 'WECHAT_ENCODING_AES_KEY_PREVIOUS'),
      appsecret: str(env, 'WECHAT_APPSECRET'),
      tokenApi: str(env, 'WECHAT_TOKEN_API'),
      mode: str(env, 'WECHAT_MESSAGE_MODE'),
      replyMode: str(env, 'WECHAT_REPLY_MODE'),
    },
    (field) => ENV_NAMES[field] ?? field,
    (field) => ENV_NAMES[field] ?? field,
    queueShards,
  );
}

/** WXGATE_DASHBOARD_USER and _PASSWORD: both, or neither (the dashboard is off). */
function dashboardCredentials(env: Env): Config['dashboard'] {
  const user = str(env, 'WXGATE_DASHBOARD_USER');
  const password = str(env, 'WXGATE_DASHBOARD_PASSWORD');
  if (user === undefined && password === undefined) return undefined;
  if (user === undefined) throw new ConfigError('WXGATE_DASHBOARD_PASSWORD is set but WXGATE_DASHBOARD_USER is not: set both to turn the queue dashboard on, or neither.');
  if (password === undefined) throw new ConfigError('WXGATE_DASHBOARD_USER is set but WXGATE_DASHBOARD_PASSWORD is not: set both to turn the queue dashboard on, or neither.');
  if (user.includes(':')) throw new ConfigError('WXGATE_DASHBOARD_USER must not contain ":" (HTTP Basic separates user and password with it).');
  if (password.length < 12) throw new ConfigError('WXGATE_DASHBOARD_PASSWORD is shorter than 12 characters: the dashboard can retry jobs, so give it a long password (e.g. openssl rand -base64 18).');
  return Object.freeze({ user, password });
}

function campaignsConfig(env: Env): Config['campaigns'] {
  const databaseUrl = str(env, 'WXGATE_DATABASE_URL');
  if (databaseUrl !== undefined) url(env, 'WXGATE_DATABASE_URL', 'postgres://user@127.0.0.1:5432/wxgate', ['postgres:', 'postgresql:']);
  const databaseSchema = str(env, 'WXGATE_DATABASE_SCHEMA') ?? 'public';
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(databaseSchema)) {
    throw new ConfigError(`WXGATE_DATABASE_SCHEMA=${JSON.stringify(databaseSchema)} must be a plain lower-case PostgreSQL name ([a-z_][a-z0-9_]*), e.g. wxgate.`);
  }
  return Object.freeze({
    databaseUrl,
    databaseSchema,
    ratePerSecond: str(env, 'WXGATE_TEMPLATE_RATE') === undefined ? undefined : num(env, 'WXGATE_TEMPLATE_RATE', 0, { min: 0.01, max: 100_000 }),
    concurrency: int(env, 'WXGATE_TEMPLATE_CONCURRENCY', 200, { min: 1, max: 10_000 }),
  });
}

/**
 * A killed worker's jobs are run again once their lock has expired and a stalled check has
 * seen it: at most lock duration + stalled interval after the kill (10 + 2.5 s by default; issue
 * 14 asks for 15 s, with margin for a busy stalled check). The lock is renewed every half lock duration, so an event loop blocked for
 * longer than that lets a live job be taken as stalled: hence the floor of 2 s.
 */
/** What a reply job does when an earlier run died with its send in flight (issue 14 item 4). */
export const UNKNOWN_SEND_POLICIES = ['hold', 'resend'] as const;
export type UnknownSendPolicy = (typeof UNKNOWN_SEND_POLICIES)[number];

function unknownSend(env: Env): UnknownSendPolicy {
  const v = str(env, 'WXGATE_UNKNOWN_SEND') ?? 'hold';
  if (!(UNKNOWN_SEND_POLICIES as readonly string[]).includes(v)) {
    throw new ConfigError(`WXGATE_UNKNOWN_SEND=${JSON.stringify(v)} is not a policy: use hold (a reply whose worker died mid-send waits in the dead-letter list: no duplicate) or resend (it is sent again: a duplicate if WeChat had it).`);
  }
  return v as UnknownSendPolicy;
}

function lockTimes(env: Env): { lockDurationMs: number; stalledIntervalMs: number } {
  const lockDurationMs = int(env, 'WXGATE_LOCK_DURATION_MS', 10_000, { min: 2000, max: 600_000 });
  const stalledIntervalMs = int(env, 'WXGATE_STALLED_INTERVAL_MS', 2500, { min: 100, max: 600_000 });
  if (stalledIntervalMs > lockDurationMs) {
    throw new ConfigError(`WXGATE_STALLED_INTERVAL_MS=${stalledIntervalMs} is longer than WXGATE_LOCK_DURATION_MS=${lockDurationMs}: set it to at most the lock duration (default 2500 with 10000), or a killed worker's jobs wait needlessly long.`);
  }
  return { lockDurationMs, stalledIntervalMs };
}

/**
 * REDIS_CLUSTER_NODES=host:port,host:port,…: some of the cluster's nodes (any, masters or
 * replicas; the client learns the rest), plain or as redis:// / rediss:// URLs carrying the
 * credentials (cluster-nodes.ts). A list of nodes rather than one URL scheme: a cluster has
 * several addresses and no one of them is "the" server, which is what a URL names.
 */
function clusterNodes(env: Env): ReturnType<typeof parseClusterNodes> | undefined {
  const raw = str(env, 'REDIS_CLUSTER_NODES');
  return raw === undefined ? undefined : parseClusterNodes(raw);
}

/**
 * REDIS_TLS_CA_FILE: the CA certificates (PEM) a rediss:// Redis's certificate is checked
 * against, for a private CA; unset, Node's own list of public CAs. Read once, at start.
 */
function tlsCa(env: Env, tlsInUse: boolean): string | undefined {
  const file = str(env, 'REDIS_TLS_CA_FILE');
  if (file === undefined) return undefined;
  if (!tlsInUse) {
    throw new ConfigError(`REDIS_TLS_CA_FILE=${file} is set, but Redis is not reached over TLS: use rediss:// in REDIS_URL (or in REDIS_CLUSTER_NODES), or unset REDIS_TLS_CA_FILE.`);
  }
  let pem: string;
  try {
    pem = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`REDIS_TLS_CA_FILE=${file} could not be read (${(err as Error).message}): point it at the CA certificate (PEM) that signed Redis's certificate.`);
  }
  if (!pem.includes('-----BEGIN CERTIFICATE-----')) {
    throw new ConfigError(`REDIS_TLS_CA_FILE=${file} holds no PEM certificate (-----BEGIN CERTIFICATE-----): point it at the CA certificate that signed Redis's certificate.`);
  }
  return pem;
}

/** On Redis Cluster each account's keys go under a hash tag `{<prefix>:<appid>}`: neither may hold a brace. */
function checkAccountTags(prefix: string, apps: readonly AppConfig[]): void {
  if (/[{}]/.test(prefix)) {
    throw new ConfigError(`WXGATE_PREFIX=${JSON.stringify(prefix)} holds a brace: with REDIS_CLUSTER_NODES each account gets a hash tag of its own, so set a plain prefix (e.g. wxgate).`);
  }
  const bad = apps.find((a) => /[{}]/.test(a.appid));
  if (bad) throw new ConfigError(`appid ${JSON.stringify(bad.appid)} holds a brace, which cannot go in a Redis Cluster hash tag (REDIS_CLUSTER_NODES): check the AppID.`);
}

/** Shards spread one account over a cluster's slots; on one Redis they would only split its queue. */
function checkNoShards(apps: readonly AppConfig[]): void {
  const sharded = apps.find((a) => a.queueShards > 1);
  if (sharded) {
    throw new ConfigError(`appid ${sharded.appid} has ${sharded.queueShards} inbound queue shards (WXGATE_QUEUE_SHARDS or queueShards in WXGATE_APPS_FILE), which need Redis Cluster: set REDIS_CLUSTER_NODES, or set the shards to 1.`);
  }
}

/**
 * A plaintext `signature` covers (Token, timestamp, nonce) and nothing that names the account, so
 * with one Token on two accounts a push URL signed for either passes on the other's URL with any
 * body: accounts that accept plaintext (mode plain or compat) need a Token of their own.
 * (Encrypted pushes name their account inside the ciphertext, checked at decryption.)
 */
function checkTokensApart(apps: readonly AppConfig[]): void {
  for (const [i, a] of apps.entries()) {
    const b = apps.slice(i + 1).find((o) => o.token === a.token && (a.mode !== 'safe' || o.mode !== 'safe'));
    if (!b) continue;
    const plain = a.mode !== 'safe' ? a : b;
    throw new ConfigError(
      `appids ${a.appid} and ${b.appid} have the same Token, and ${plain.appid} accepts plaintext pushes (mode ${plain.mode}): a push signed for one would be accepted on the other's URL. Give each account a Token of its own (MP console 服务器配置, and token in WXGATE_APPS_FILE), or set both to mode safe.`,
    );
  }
}

export interface LoadConfigOptions {
  /** Commands such as `mock-wechat` and `trace` need no account. */
  requireApps?: boolean;
}

export function loadConfig(env: Env = process.env, { requireApps = true }: LoadConfigOptions = {}): Config {
  const appsFile = str(env, 'WXGATE_APPS_FILE');
  const queueShards = int(env, 'WXGATE_QUEUE_SHARDS', 1, { min: 1, max: 64 });
  const single = appFromEnv(env, queueShards);
  const apps = [...(appsFile ? appsFromFile(appsFile, queueShards) : []), ...(single ? [single] : [])];
  const seen = new Set<string>();
  for (const app of apps) {
    if (seen.has(app.appid)) throw new ConfigError(`appid ${app.appid} is configured twice (WXGATE_APPS_FILE and WECHAT_APPID?): keep one.`);
    seen.add(app.appid);
  }
  checkTokensApart(apps);
  if (requireApps && apps.length === 0) {
    throw new ConfigError('No account configured: set WECHAT_APPID and WECHAT_TOKEN (single account) or WXGATE_APPS_FILE (several).');
  }
  const prefix = str(env, 'WXGATE_PREFIX') ?? 'wxgate';
  if (!/^[A-Za-z0-9_{}.-]+$/.test(prefix)) {
    throw new ConfigError(`WXGATE_PREFIX=${JSON.stringify(prefix)} may hold only letters, digits, _ . - { }: e.g. wxgate.`);
  }
  const cluster = clusterNodes(env);
  const redisClusterNodes = cluster?.nodes;
  if (redisClusterNodes) checkAccountTags(prefix, apps);
  else checkNoShards(apps);
  const logLevel = str(env, 'LOG_LEVEL') ?? 'info';
  if (!['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].includes(logLevel)) {
    throw new ConfigError(`LOG_LEVEL=${JSON.stringify(logLevel)} is not a pino level: use fatal, error, warn, info, debug, trace or silent.`);
  }
  const redisUrl = url(env, 'REDIS_URL', 'redis://127.0.0.1:6379', ['redis:', 'rediss:']);
  const redisTlsCa = tlsCa(env, cluster ? cluster.connection.tls : redisUrl.startsWith('rediss:'));
  const config: Config = {
    port: int(env, 'PORT', 3000, { max: 65535 }),
    host: str(env, 'HOST') ?? '0.0.0.0',
    redisUrl,
    redisClusterNodes,
    redisCluster: cluster?.connection,
    redisTlsCa,
    prefix,
    keyLayout: redisClusterNodes ? 'account' : 'shared',
    apps: Object.freeze(apps),
    defaultAppid: apps.length === 1 ? apps[0]!.appid : single?.appid,
    apiBase: url(env, 'WECHAT_API_BASE', 'https://api.weixin.qq.com', ['http:', 'https:']),
    handlers: str(env, 'WXGATE_HANDLERS'),
    internalToken: str(env, 'WXGATE_INTERNAL_TOKEN'),
    dashboard: dashboardCredentials(env),
    spoolDir: str(env, 'WXGATE_SPOOL_DIR') ?? './data/spool',
    timestampToleranceS: int(env, 'WXGATE_TIMESTAMP_TOLERANCE_S', 300, { min: 1, max: 86400 }),
    logLevel,
    logFile: str(env, 'WXGATE_LOG_FILE'),
    metricsPort: str(env, 'WXGATE_METRICS_PORT') === undefined ? undefined : int(env, 'WXGATE_METRICS_PORT', 0, { min: 1, max: 65535 }),
    bodyLimitBytes: int(env, 'WXGATE_BODY_LIMIT_BYTES', 64 * 1024, { min: 1024, max: 16 * 1024 * 1024 }),
    enqueueTimeoutMs: int(env, 'WXGATE_ENQUEUE_TIMEOUT_MS', 1000, { min: 10, max: 4000 }),
    redisWaitReplicas: int(env, 'WXGATE_REDIS_WAIT_REPLICAS', 0, { min: 0, max: 16 }),
    redisCheckIntervalMs: int(env, 'WXGATE_REDIS_CHECK_INTERVAL_MS', 10_000, { min: 100, max: 3_600_000 }),
    worker: Object.freeze({
      concurrency: int(env, 'WXGATE_WORKER_CONCURRENCY', 50, { min: 1, max: 10000 }),
      jobTimeoutMs: int(env, 'WXGATE_JOB_TIMEOUT_MS', 120_000, { min: 100 }),
      attempts: int(env, 'WXGATE_JOB_ATTEMPTS', 5, { min: 1, max: 100 }),
      outboundRatePerSecond: int(env, 'WXGATE_OUTBOUND_RATE', 500, { min: 1 }),
      ...lockTimes(env),
      unknownSend: unknownSend(env),
    }),
    quota: Object.freeze({
      messageReplies: int(env, 'WXGATE_QUOTA_MESSAGE_REPLIES', 5, { min: 0 }),
      messageWindowS: int(env, 'WXGATE_QUOTA_MESSAGE_WINDOW_S', 48 * 3600, { min: 1 }),
      eventReplies: int(env, 'WXGATE_QUOTA_EVENT_REPLIES', 3, { min: 0 }),
      eventWindowS: int(env, 'WXGATE_QUOTA_EVENT_WINDOW_S', 60, { min: 1 }),
    }),
    token: Object.freeze({
      refreshAheadS: int(env, 'WXGATE_TOKEN_REFRESH_AHEAD_S', 600, { min: 0, max: 7000 }),
      dailyQuota: int(env, 'WXGATE_TOKEN_DAILY_QUOTA', 2000, { min: 1 }),
      quotaWarnRatio: num(env, 'WXGATE_TOKEN_QUOTA_WARN_RATIO', 0.8, { min: 0, max: 1 }),
    }),
    campaigns: campaignsConfig(env),
    shutdownTimeoutMs: int(env, 'WXGATE_SHUTDOWN_TIMEOUT_MS', 10_000, { min: 500, max: 600_000 }),
    heapGrowingPercent: int(env, 'WXGATE_HEAP_GROWING_PERCENT', DEFAULT_HEAP_GROWING_PERCENT, { min: 0, max: 300 }),
    http: Object.freeze({
      requestTimeoutMs: int(env, 'WXGATE_REQUEST_TIMEOUT_MS', 10_000, { min: 500, max: 300_000 }),
      idleTimeoutMs: int(env, 'WXGATE_IDLE_TIMEOUT_MS', 5000, { min: 100, max: 300_000 }),
      keepAliveTimeoutMs: int(env, 'WXGATE_KEEPALIVE_TIMEOUT_MS', 15_000, { min: 100, max: 600_000 }),
    }),
    logStdout: flag(env, 'WXGATE_LOG_STDOUT'),
    passive: Object.freeze({
      // WeChat drops the connection at 5 s; nginx's proxy_read_timeout (4800ms) and the
      // hand-over's last round trip must fit after the wait (docs/passive-replies.md).
      waitMs: int(env, 'WXGATE_PASSIVE_WAIT_MS', 4000, { min: 50, max: 4500 }),
      useRetries: flag(env, 'WXGATE_PASSIVE_USE_RETRIES'),
    }),
  };
  return Object.freeze(config);
}
