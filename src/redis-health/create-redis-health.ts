// Every long-running process (serve, worker, all) watches the Redis it depends on, on a connection
// of its own, off the push's path: at start, after every reconnect and every
// WXGATE_REDIS_CHECK_INTERVAL_MS. Issue 14: 392 of 500 acknowledged pushes vanished with Redis's
// data and no line anywhere said so.
// - Settings (assess-settings.ts): one line per setting per change of state (error when unsafe,
//   warn when unreadable, info when safe again), the wxgate_redis_setting gauge, /readyz's body.
// - The dataset (dataset-marker.ts, dataset-watch.ts): a loss is one error line with
//   code "redis_data_lost" saying what may be gone, wxgate_redis_data_lost_total{reason}, and
//   /readyz's body; the marker is then written again.
// - Where an account's inbound queue shards sit on a cluster (report-shard-placement.ts): a warn
//   line when some share a master, and the wxgate_queue_shards_together gauge.
// /readyz stays 200 for both: the receiver still takes pushes as well as it can, and sending
// WeChat elsewhere helps nothing; the body and the metrics say what is wrong.
import type { RedisConnection } from '../redis.js';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import { createRedis } from '../redis.js';
import { diagnoseClusterConnect } from '../redis-cluster-diagnosis.js';
import { redisConnectProblem, type RedisConnectProblemCode } from '../redis-connect-problem.js';
import { keysOf } from '../redis-keys.js';
import { withTimeout } from '../with-timeout.js';
import { assessSettings, SETTING_STATES, type CheckedSetting, type SettingFinding, type SettingState } from './assess-settings.js';
import { createDatasetMarker } from './dataset-marker.js';
import { judge, type LossReason, type Reading, type WatchState } from './dataset-watch.js';
import { readRedisState, stateNode, type RedisSettings } from './read-redis-state.js';
import { createShardPlacementReport } from './report-shard-placement.js';

/** The stable code of the data-loss line, for `wxgate alert` and for log searches. */
export const REDIS_DATA_LOST = 'redis_data_lost';
/** The stable code of an unsafe-setting line. */
export const REDIS_SETTING_UNSAFE = 'redis_setting_unsafe';

const MAY_BE_LOST = [
  'acknowledged pushes not yet handled (the inbound queue)',
  'replies not yet sent (the outbound queue)',
  'dedup records: a WeChat retry of a push already handled is handled again',
  'reply quotas: replies are sent and WeChat decides',
  'the access_token: fetched again',
];

export type CheckTrigger = 'start' | 'reconnect' | 'periodic' | 'manual';

export interface DurabilityStatus {
  /** The last check that read Redis (ISO time); null before the first. */
  readonly checkedAt: string | null;
  readonly settings: RedisSettings | null;
  readonly unsafe: CheckedSetting[];
  readonly unknown: CheckedSetting[];
  /** The last loss this process detected: when, why, and since when its data may be gone. */
  readonly dataLost: { readonly at: string; readonly reason: LossReason; readonly since: string; readonly count: number } | null;
}

export interface RedisHealth {
  /** Connects and checks; resolves after the first check or startWaitMs, whichever is first. Idempotent. */
  start(): Promise<void>;
  /** One check now (joins one already running); rejects when Redis cannot be read. */
  check(trigger?: CheckTrigger): Promise<void>;
  status(): DurabilityStatus;
  close(): Promise<void>;
}

export interface RedisHealthDeps {
  config: Config;
  logger: Logger;
  metrics: Metrics;
}

export interface RedisHealthOptions {
  intervalMs?: number;
  /** Bound on each Redis command of a check (a hung Redis must not stall the next checks). */
  timeoutMs?: number;
  startWaitMs?: number;
}

export function createRedisHealth(
  { config, logger, metrics }: RedisHealthDeps,
  { intervalMs = config.redisCheckIntervalMs, timeoutMs = 5000, startWaitMs = 2000 }: RedisHealthOptions = {},
): RedisHealth {
  const log = logger.child({ layer: 'redis' });
  let redis: RedisConnection | undefined;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let everReady = false;
  let watch: WatchState = { evicting: false };
  let lastSeenAt: Date | undefined;
  const states = new Map<CheckedSetting, SettingState>();
  let status: DurabilityStatus = { checkedAt: null, settings: null, unsafe: [], unknown: [], dataLost: null };
  const step = <T>(work: Promise<T>) => withTimeout(work, timeoutMs, 'redis check');
  const placement = createShardPlacementReport({ keys: keysOf(config), apps: config.apps, log, metrics });

  function reportSetting(f: SettingFinding): void {
    for (const state of SETTING_STATES) metrics.redisSetting.set({ setting: f.setting, state }, state === f.state ? 1 : 0);
    const before = states.get(f.setting);
    states.set(f.setting, f.state);
    if (before === f.state || (before === undefined && f.state === 'ok')) return;
    const fields = { setting: f.setting, value: f.value, state: f.state, fix: f.fix, risk: f.risk };
    if (f.state === 'unsafe') log.error({ code: REDIS_SETTING_UNSAFE, ...fields }, `unsafe Redis setting ${f.setting} ${f.value}: ${f.fix}`);
    else if (f.state === 'unknown') log.warn({ code: 'redis_setting_unknown', ...fields }, `Redis setting ${f.setting} cannot be read (CONFIG is disabled): ${f.fix}`);
    else log.info(fields, `Redis setting ${f.setting} is safe now`);
  }

  function reportLoss(reason: LossReason, evicted: number, trigger: CheckTrigger, runId: string | undefined, now: Date): void {
    const since = (lastSeenAt ?? now).toISOString();
    metrics.redisDataLost.inc({ reason });
    status = { ...status, dataLost: { at: now.toISOString(), reason, since, count: (status.dataLost?.count ?? 0) + 1 } };
    log.error(
      { code: REDIS_DATA_LOST, reason, trigger, since, runId, previousRunId: watch.runId, evictedKeys: evicted || undefined, mayBeLost: MAY_BE_LOST },
      'Redis lost its data: acknowledged pushes not yet handled, replies not yet sent, dedup records, reply quotas and the access_token may be gone',
    );
  }

  async function runCheck(trigger: CheckTrigger): Promise<void> {
    const conn = redis!;
    const marker = createDatasetMarker({ redis: conn }, { keys: keysOf(config) });
    const state = await step(stateNode(conn, marker.key).then(readRedisState));
    const reading: Reading = { marker: await step(marker.read()), runId: state.runId, evictedKeys: state.evictedKeys };
    const now = new Date();
    const findings = assessSettings(state.settings);
    for (const f of findings) reportSetting(f);
    status = {
      ...status,
      checkedAt: now.toISOString(),
      settings: state.settings,
      unsafe: findings.filter((f) => f.state === 'unsafe').map((f) => f.setting),
      unknown: findings.filter((f) => f.state === 'unknown').map((f) => f.setting),
    };

    const { finding, evicting } = judge(watch, reading);
    let epoch = watch.epoch ?? reading.marker;
    if (finding.kind === 'first') {
      epoch = await step(marker.arm());
      // Not found: the first start on this Redis and prefix, or its data went while no wxgate ran.
      log.info({ settings: state.settings, runId: state.runId, marker: finding.markerFound ? 'found' : 'written' }, 'Redis checked: settings read, dataset marker in place');
    } else if (finding.kind === 'lost' || finding.kind === 'evicting') {
      reportLoss(finding.kind === 'lost' ? finding.reason : 'eviction', finding.evicted, trigger, state.runId, now);
      if (finding.kind === 'lost') epoch = await step(marker.arm());
    } else if (finding.kind === 'rearm') {
      epoch = await step(marker.arm());
    } else if (finding.kind === 'restarted-with-data') {
      log.warn({ runId: state.runId, previousRunId: watch.runId, trigger }, 'Redis restarted (or failed over) and kept its data: the dataset marker is there');
    } else if (finding.kind === 'stopped-evicting') {
      log.info({ trigger }, 'Redis evicted no more keys since the last check');
    }
    watch = { epoch, runId: state.runId, evictedKeys: state.evictedKeys, evicting };
    lastSeenAt = now;
    await step(placement.check(conn)).catch((err: Error) => log.debug({ err: err.message }, 'queue shard placement not read'));
  }

  function check(trigger: CheckTrigger = 'manual'): Promise<void> {
    if (!redis) return Promise.reject(new Error('redis health: start() first'));
    running ??= runCheck(trigger).finally(() => {
      running = undefined;
    });
    return running;
  }

  const quietly = (trigger: CheckTrigger) =>
    check(trigger).catch((err: Error) => log.debug({ trigger, err: err.message }, 'Redis check failed: RedisConnection unreachable or slow'));

  return {
    async start() {
      if (redis) return;
      const conn = createRedis(config, 'producer', { connectionName: 'wxgate-redis-health' });
      redis = conn;
      // Refused credentials or a failed TLS handshake are not an outage: one error line with its
      // code and the fix (every process runs this watch, on a connection of its own), again only
      // after Redis was reached in between. On a cluster each node's error comes as 'node error',
      // and a failed TLS handshake not at all: one node is then asked directly, at most every 10 s.
      let reported: RedisConnectProblemCode | undefined;
      let diagnosedAt = 0;
      const report = (err: unknown) => {
        const problem = redisConnectProblem(err, config);
        if (!problem || problem.code === reported) return Boolean(problem);
        reported = problem.code;
        log.error({ code: problem.code, err: problem.detail, fix: problem.fix }, `Redis cannot be reached: ${problem.fix}`);
        return true;
      };
      const onError = (err: Error) => {
        log.debug({ err: err.message }, 'redis health connection error');
        if (report(err) || !config.redisClusterNodes || reported || Date.now() - diagnosedAt < 10_000) return;
        diagnosedAt = Date.now();
        void diagnoseClusterConnect(config).then((cause) => cause !== undefined && report(cause));
      };
      conn.on('error', onError);
      conn.on('node error', onError);
      const first = new Promise<void>((resolve) => {
        conn.on('ready', () => {
          reported = undefined;
          const trigger = everReady ? 'reconnect' : 'start';
          everReady = true;
          void quietly(trigger).then(resolve);
        });
      });
      timer = setInterval(() => void quietly('periodic'), intervalMs);
      timer.unref();
      await withTimeout(first, startWaitMs, 'first redis check').catch(() => undefined);
    },
    check,
    status: () => status,
    async close() {
      if (timer) clearInterval(timer);
      timer = undefined;
      redis?.disconnect(); // a check still running fails at once instead of waiting out its bound
      await running?.catch(() => undefined);
    },
  };
}
