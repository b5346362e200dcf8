// Every Redis key and BullMQ queue prefix wxgate writes, named in one place (issue 18).
//
// `shared`: every key under WXGATE_PREFIX, exactly as wxgate has always written them; on a
// single Redis nothing changes. On Redis Cluster a prefix like `{wxgate}` keeps it all in one
// slot, so one shard carries every receiver and worker.
// `account`: each account's keys and queues under a hash tag of its own, `{<prefix>:<appid>}`,
// so accounts spread over the cluster's slots; keys one Lua script or MULTI touches together
// (quota + rate, a campaign + its account's pause and rate, the token + its lock) belong to
// one account and so share its slot. An account's extra inbound shards (WXGATE_QUEUE_SHARDS)
// get tags of their own, `{<prefix>:<appid>:<n>}`, to spread one large account too.
// https://redis.io/docs/latest/operate/oss_and_stack/reference/cluster-spec/#hash-tags
export const KEY_LAYOUTS = ['shared', 'account'] as const;
export type KeyLayout = (typeof KEY_LAYOUTS)[number];

export interface RedisKeys {
  readonly layout: KeyLayout;
  readonly prefix: string;
  /** BullMQ's prefix for an account's queues; `shard` 1… for its extra inbound shards (0: the first). */
  queuePrefix(appid: string, shard?: number): string;
  /** The dataset marker (redis-health/dataset-marker.ts). */
  datasetMarker(): string;
  /** The body digest of a signed nonce (queue/nonce-bodies.ts); `id` is the replay guard's. */
  nonce(appid: string, id: string): string;
  /** Reply quota of one user (worker/quota.ts). */
  quota(appid: string, openid: string): string;
  /** The account's send rate bucket (worker/rate-limiter.ts). */
  rate(appid: string): string;
  /** WeChat accepted this reply job's send (worker/send-marker.ts). */
  sent(appid: string, jobId: string): string;
  /** access_token and its companions (wechat-api/token-store.ts). */
  token(appid: string): string;
  tokenLock(appid: string): string;
  tokenFetches(appid: string, day: string): string;
  tokenBackoff(appid: string): string;
  tokenFailures(appid: string): string;
  /** A campaign's payload and state, and the jobs parked while it is paused (campaigns/). */
  campaign(appid: string, id: string): string;
  campaignParked(appid: string, id: string): string;
  /** The account's template quota pause (after a 45009) and template send rate. */
  templatePause(appid: string): string;
  templateRate(appid: string): string;
}

function sharedKeys(prefix: string): RedisKeys {
  return {
    layout: 'shared',
    prefix,
    queuePrefix: () => prefix,
    datasetMarker: () => `${prefix}:redis-epoch`,
    nonce: (_appid, id) => `${prefix}:nonce:${id}`,
    quota: (appid, openid) => `${prefix}:quota:${appid}:${openid}`,
    rate: (appid) => `${prefix}:rate:${appid}`,
    sent: (_appid, jobId) => `${prefix}:sent:${jobId}`,
    token: (appid) => `${prefix}:token:${appid}`,
    tokenLock: (appid) => `${prefix}:token:${appid}:lock`,
    tokenFetches: (appid, day) => `${prefix}:token:${appid}:fetches:${day}`,
    tokenBackoff: (appid) => `${prefix}:token:${appid}:backoff`,
    tokenFailures: (appid) => `${prefix}:token:${appid}:failures`,
    campaign: (_appid, id) => `${prefix}:tcamp:${id}`,
    campaignParked: (_appid, id) => `${prefix}:tcamp:${id}:parked`,
    templatePause: (appid) => `${prefix}:tpause:${appid}`,
    templateRate: (appid) => `${prefix}:trate:${appid}`,
  };
}

function accountKeys(prefix: string): RedisKeys {
  const tag = (appid: string) => `{${prefix}:${appid}}`;
  return {
    layout: 'account',
    prefix,
    queuePrefix: (appid, shard = 0) => (shard === 0 ? tag(appid) : `{${prefix}:${appid}:${shard}}`),
    // One marker for the whole dataset: it sits on one shard and tells of that shard's loss.
    datasetMarker: () => `${prefix}:redis-epoch`,
    nonce: (appid, id) => `${tag(appid)}:nonce:${id}`,
    quota: (appid, openid) => `${tag(appid)}:quota:${openid}`,
    rate: (appid) => `${tag(appid)}:rate`,
    sent: (appid, jobId) => `${tag(appid)}:sent:${jobId}`,
    token: (appid) => `${tag(appid)}:token`,
    tokenLock: (appid) => `${tag(appid)}:token:lock`,
    tokenFetches: (appid, day) => `${tag(appid)}:token:fetches:${day}`,
    tokenBackoff: (appid) => `${tag(appid)}:token:backoff`,
    tokenFailures: (appid) => `${tag(appid)}:token:failures`,
    campaign: (appid, id) => `${tag(appid)}:tcamp:${id}`,
    campaignParked: (appid, id) => `${tag(appid)}:tcamp:${id}:parked`,
    templatePause: (appid) => `${tag(appid)}:tpause`,
    templateRate: (appid) => `${tag(appid)}:trate`,
  };
}

export function redisKeys({ prefix, layout = 'shared' }: { prefix: string; layout?: KeyLayout }): RedisKeys {
  return Object.freeze(layout === 'account' ? accountKeys(prefix) : sharedKeys(prefix));
}

/** The keys of a loaded configuration (WXGATE_PREFIX, and the layout cluster mode implies). */
export function keysOf(config: { readonly prefix: string; readonly keyLayout: KeyLayout }): RedisKeys {
  return redisKeys({ prefix: config.prefix, layout: config.keyLayout });
}
