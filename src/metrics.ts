// Prometheus metrics (prom-client) on a registry of our own per process (no global default
// registry, so tests can create as many as they like). Every layer gets its instruments here so
// the names stay consistent; /metrics serves `registry.metrics()`.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];
const HANDLER_BUCKETS = [0.01, 0.05, 0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120];

export function createMetrics({ processMetrics = true }: { processMetrics?: boolean } = {}) {
  const registry = new Registry();
  if (processMetrics) collectDefaultMetrics({ register: registry, prefix: 'wxgate_' });
  const registers = [registry];
  return {
    registry,
    pushes: new Counter({ name: 'wxgate_pushes_total', help: 'Pushes received, by outcome (acked, spooled, rejected, verified) and rejection reason', labelNames: ['appid', 'outcome', 'reason'] as const, registers }),
    ackSeconds: new Histogram({ name: 'wxgate_ack_seconds', help: 'Time from request to `success`', labelNames: ['mode'] as const, buckets: LATENCY_BUCKETS, registers }),
    stepSeconds: new Histogram({ name: 'wxgate_receive_step_seconds', help: 'Receive path time per step (verify, decrypt, parse, enqueue, spool)', labelNames: ['step'] as const, buckets: LATENCY_BUCKETS, registers }),
    redisUp: new Gauge({ name: 'wxgate_redis_up', help: 'Whether Redis answered this process\'s PING at scrape time (within 500 ms): 1 yes, 0 no', registers }),
    spoolDepth: new Gauge({ name: 'wxgate_spool_depth', help: 'Pushes waiting in the local spool', registers }),
    queueDepth: new Gauge({ name: 'wxgate_queue_jobs', help: 'Jobs per queue and state', labelNames: ['queue', 'state'] as const, registers }),
    jobs: new Counter({ name: 'wxgate_jobs_total', help: 'Finished job attempts by queue and outcome (done, retry, failed)', labelNames: ['queue', 'outcome'] as const, registers }),
    jobsStalledTooOften: new Counter({ name: 'wxgate_jobs_stalled_too_often_total', help: 'Jobs failed because their worker died while running them more often than maxStalledCount allows (issue 14): in the dead-letter list', labelNames: ['queue'] as const, registers }),
    handlerSeconds: new Histogram({ name: 'wxgate_handler_seconds', help: 'Handler run time', labelNames: ['outcome'] as const, buckets: HANDLER_BUCKETS, registers }),
    queueWaitSeconds: new Histogram({ name: 'wxgate_queue_wait_seconds', help: 'Time from ack to the worker picking the job up', buckets: HANDLER_BUCKETS, registers }),
    sends: new Counter({ name: 'wxgate_sends_total', help: 'WeChat API calls by path and errcode', labelNames: ['appid', 'path', 'errcode'] as const, registers }),
    tokenFetchesToday: new Gauge({ name: 'wxgate_token_fetches_today', help: 'access_token fetches today (Beijing day), all processes', labelNames: ['appid'] as const, registers }),
    templateSends: new Counter({ name: 'wxgate_template_sends_total', help: 'template/send answers by errcode and outcome (sent, retry, failed, quota_pause, token_wait)', labelNames: ['appid', 'errcode', 'outcome'] as const, registers }),
    templateQuotaPaused: new Gauge({ name: 'wxgate_template_quota_paused', help: "1 while the account's template sends wait for WeChat's quota day to turn (after a 45009)", labelNames: ['appid'] as const, registers }),
    campaignRecipients: new Gauge({ name: 'wxgate_campaign_recipients', help: 'Recipients of recent campaigns by record status', labelNames: ['appid', 'campaign', 'status'] as const, registers }),
    tokenAvailable: new Gauge({ name: 'wxgate_token_available', help: 'Whether this process can get the access_token: 1 yes, 0 no (sends wait); absent until first known', labelNames: ['appid'] as const, registers }),
    tokenWaits: new Counter({ name: 'wxgate_token_waits_total', help: 'Sends put back to wait (no attempt spent) because the access_token could not be had', labelNames: ['appid'] as const, registers }),
    sendsAlreadySent: new Counter({ name: 'wxgate_sends_already_sent_total', help: 'Reply jobs run again (after a crash) that found their send marker and did not send a second time', labelNames: ['appid'] as const, registers }),
    sendsOutcomeUnknown: new Counter({ name: 'wxgate_sends_outcome_unknown_total', help: 'Reply jobs run again whose earlier run died with the send in flight (WeChat may have it), by what was done (held: dead-letter list, WXGATE_UNKNOWN_SEND=hold; resent)', labelNames: ['appid', 'action'] as const, registers }),
    tokenDailyQuota: new Gauge({ name: 'wxgate_token_daily_quota', help: 'access_token fetches allowed per day', labelNames: ['appid'] as const, registers }),
    redisSetting: new Gauge({ name: 'wxgate_redis_setting', help: 'Redis settings acknowledged pushes depend on (appendonly, appendfsync, maxmemory-policy): 1 for the current state (ok, unsafe, unknown), 0 for the others', labelNames: ['setting', 'state'] as const, registers }),
    passiveAnswers: new Counter({ name: 'wxgate_passive_answers_total', help: 'Reply modes passive and auto: how pushes were answered (passive: with the reply; success: nothing to wait for, or spooled; too_late: the wait ran out; run_out: left for WeChat to deliver again, retry mode)', labelNames: ['appid', 'answer'] as const, registers }),
    passiveWaitSeconds: new Histogram({ name: 'wxgate_passive_wait_seconds', help: 'Reply modes passive and auto: how long the receiver waited for the first reply, by answer', labelNames: ['answer'] as const, buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 3, 4, 4.5], registers }),
    lateReplies: new Counter({ name: 'wxgate_late_replies_total', help: 'Reply modes passive and auto: first replies the receiver no longer waited for, by what became of them (custom: sent through customer service; dropped; held: kept for WeChat\'s next delivery)', labelNames: ['appid', 'fate'] as const, registers }),
    queueShardsTogether: new Gauge({ name: 'wxgate_queue_shards_together', help: "Redis Cluster: the account's inbound queue shards (WXGATE_QUEUE_SHARDS) that share a master with another of its shards (0: each on a master of its own)", labelNames: ['appid'] as const, registers }),
    redisDataLost: new Counter({ name: 'wxgate_redis_data_lost_total', help: 'Times this process found that Redis had lost its data, by reason (restart, flush, eviction)', labelNames: ['reason'] as const, registers }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
