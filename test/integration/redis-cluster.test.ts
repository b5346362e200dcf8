// Issue 18: wxgate on a real Redis Cluster (3 masters, 3 replicas, test/helpers/redis-cluster.ts)
// with REDIS_CLUSTER_NODES set and nothing else changed: receive and dedup, spool and drain,
// workers and replies, the token keeper across processes, campaigns. Every account's keys and
// queues sit under its own hash tag, so they are checked where they must be.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fingerprint } from '../../src/fingerprint.js';
import { accountQueues, inboundRoute, queueSpots, shardOf } from '../../src/queue/account-queues.js';
import { INBOUND_QUEUE, type SpooledJob } from '../../src/queue/jobs.js';
import { createNonceBodies } from '../../src/queue/nonce-bodies.js';
import { createSpool } from '../../src/queue/spool.js';
import { createSpoolDrainer } from '../../src/queue/spool-drainer.js';
import { loadConfig } from '../../src/config.js';
import { createMetrics } from '../../src/metrics.js';
import { createRedis, type RedisConnection } from '../../src/redis.js';
import { createRedisHealth } from '../../src/redis-health/create-redis-health.js';
import { keysOf, redisKeys } from '../../src/redis-keys.js';
import { openids, startCampaignHarness, type CampaignHarness } from '../fixtures/campaigns/harness.js';
import { app, spawnKeeperChild, startHarness as startTokenHarness, type KeeperChild, type TokenHarness } from '../fixtures/token/harness.js';
import { inboundId, newOpenid, settled, startHarness, text, waitFor, type Harness } from '../fixtures/worker/harness.js';
import { captureLogs } from '../helpers/log-capture.js';
import { ownCluster, type OwnCluster } from '../helpers/redis-cluster.js';
import { testPrefix } from '../helpers/redis-keys.js';
import { TEST_APP } from '../helpers/receiver.js';
import { WXBizMsgCrypt } from '../helpers/wechat-crypto.js';
import { parseXml } from '../../src/wechat/xml.js';
import { buildPush } from '../../src/dev/pushes.js';

let cluster: OwnCluster;
let admin: RedisConnection;
beforeAll(async () => {
  cluster = await ownCluster();
  admin = cluster.client();
}, 60_000);
afterAll(async () => {
  await cluster?.stop();
});

const clusterEnv = () => ({ REDIS_CLUSTER_NODES: cluster.nodesList });

/** The master port serving a key's slot. */
async function masterOf(key: string): Promise<number> {
  const slot = Number(await admin.call('CLUSTER', 'KEYSLOT', key));
  const shards = (await admin.call('CLUSTER', 'SLOTS')) as [number, number, [string, number]][];
  return shards.find(([from, to]) => slot >= from && slot <= to)![2][1];
}

describe('receive, dedup, workers and replies on Redis Cluster', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ env: { ...clusterEnv(), WXGATE_ENQUEUE_TIMEOUT_MS: '300' } });
  }, 60_000);
  afterAll(async () => {
    await h?.close();
  });

  it('a push is acked, deduplicated, handled once and answered; its job is under the account\'s hash tag', async () => {
    const openid = newOpenid();
    const msg = text(openid, 'on the cluster');
    expect(await h.push(msg)).toEqual({ status: 200, text: 'success' });
    expect(await h.push(msg)).toEqual({ status: 200, text: 'success' }); // WeChat's retry
    const sent = await waitFor(() => h.sentTo(openid).length === 1 && h.sentTo(openid), 'the reply');
    expect(sent[0]).toMatchObject({ msgtype: 'text', content: 'echo: on the cluster' });
    const id = inboundId(msg.MsgId as string);
    const job = await settled(h.inbound, id);
    expect(job.returnvalue).toMatchObject({ replies: 1 });
    await settled(h.outbound, `${id}_r0`);
    expect(h.t.logs.lines.filter((l) => l.layer === 'worker' && l.dedupKey === id && l.outcome === 'handled')).toHaveLength(1);
    const tag = `{${h.t.config.prefix}:${TEST_APP.appid}}`;
    expect(await admin.exists(`${tag}:inbound:${id}`)).toBe(1);
    expect(await admin.exists(`${tag}:outbound:${id}_r0`)).toBe(1);
    expect(await admin.exists(`${tag}:quota:${openid}`)).toBe(1);
    expect(await admin.exists(`${tag}:token`)).toBe(1);
  });
  it('while the masters take no writes, a push is spooled and acked; once they do, it is drained, handled and answered once', async () => {
    const openid = newOpenid();
    const msg = text(openid, 'spooled on the cluster');
    const masters = cluster.nodes.map((n) => cluster.node(n.port));
    const roles = await Promise.all(masters.map((m) => m.call('ROLE') as Promise<[string]>));
    const writable = masters.filter((_, i) => roles[i]![0] === 'master');
    expect(writable).toHaveLength(3);
    await Promise.all(writable.map((m) => m.call('CLIENT', 'PAUSE', '1500', 'WRITE')));
    expect(await h.push(msg)).toEqual({ status: 200, text: 'success' });
    const id = inboundId(msg.MsgId as string);
    expect(h.t.logs.lines.find((l) => l.layer === 'receive' && l.dedupKey === id)).toMatchObject({ outcome: 'spooled' });
    await waitFor(() => h.sentTo(openid).length === 1, 'the reply after the drain');
    await settled(h.inbound, id);
    expect(h.t.logs.lines.filter((l) => l.layer === 'worker' && l.dedupKey === id && l.outcome === 'handled')).toHaveLength(1);
    expect(h.sentTo(openid)).toHaveLength(1);
  });
});

/**
 * A prefix whose three shard tags do not all hash to one master: with a random prefix they would
 * one time in nine, and the test checks that the shards can spread, not the odds of CRC16.
 */
async function spreadingPrefix(): Promise<string> {
  for (;;) {
    const prefix = testPrefix('shards');
    const tags = [`{${prefix}:${TEST_APP.appid}}`, `{${prefix}:${TEST_APP.appid}:1}`, `{${prefix}:${TEST_APP.appid}:2}`];
    if (new Set(await Promise.all(tags.map((t) => masterOf(`${t}:inbound:wait`)))).size > 1) return prefix;
  }
}

describe('inbound queue shards for one large account', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ env: { ...clusterEnv(), WXGATE_QUEUE_SHARDS: '3', WXGATE_PREFIX: await spreadingPrefix() } });
  }, 60_000);
  afterAll(async () => {
    await h?.close();
  });

  it('spreads messages over the shards by dedup key; retries land on the same shard and run once', async () => {
    const keys = keysOf(h.t.config);
    const shards = [0, 1, 2].map((n) => new Queue(INBOUND_QUEUE, { connection: admin, prefix: keys.queuePrefix(TEST_APP.appid, n) }));
    try {
      const msgs = Array.from({ length: 12 }, (_, i) => ({ openid: newOpenid(), msg: text(newOpenid(), `shard ${i}`) })).map(({ msg }) => msg);
      for (const msg of msgs) {
        expect((await h.push(msg)).text).toBe('success');
        expect((await h.push(msg)).text).toBe('success');
      }
      for (const msg of msgs) {
        const id = inboundId(msg.MsgId as string);
        const shard = shards[shardOf(id, 3)]!;
        await settled(shard, id);
        for (const other of shards) if (other !== shard) expect(await other.getJob(id)).toBeUndefined();
        await waitFor(() => h.sentTo(msg.FromUserName as string).length === 1, 'the reply');
      }
      const used = new Set(msgs.map((m) => shardOf(inboundId(m.MsgId as string), 3)));
      expect(used.size).toBeGreaterThan(1);
      const masters = new Set(await Promise.all([0, 1, 2].map((n) => masterOf(`${keys.queuePrefix(TEST_APP.appid, n)}:inbound:wait`))));
      expect(masters.size).toBeGreaterThan(1);
      for (const msg of msgs) expect(h.sentTo(msg.FromUserName as string)).toHaveLength(1);
      // /metrics sums the shards: one figure per queue name, as on a single Redis.
      const metrics = await (await fetch(`${h.t.url}/metrics`)).text();
      expect(Number(/wxgate_queue_jobs\{queue="inbound",state="completed"\} (\d+)/.exec(metrics)?.[1])).toBe(12);
    } finally {
      await Promise.all(shards.map((q) => q.close()));
    }
  });
});

describe('spool and drain on Redis Cluster', () => {
  it('spooled lines of two accounts (one sharded) drain into their own queues, once', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'wxgate-cluster-spool-'));
    const keys = redisKeys({ prefix: testPrefix('cspool'), layout: 'account' });
    const apps = [
      { appid: 'wxclusterspool1', queueShards: 1 },
      { appid: 'wxclusterspool2', queueShards: 2 },
    ];
    const redis = createRedis({ redisUrl: '', redisClusterNodes: cluster.nodes.map((n) => ({ host: '127.0.0.1', port: n.port })) }, 'producer');
    const queues = accountQueues(keys, queueSpots(keys, apps, { sharded: true }), (prefix) => new Queue(INBOUND_QUEUE, { connection: redis, prefix }));
    const route = inboundRoute(queues, apps);
    const spool = createSpool({ dir });
    try {
      const line = (appid: string, n: number): SpooledJob => {
        const jobId = `m_${appid}_${n}`;
        return { queue: INBOUND_QUEUE, jobId, data: { appid, dedupKey: jobId, receivedAt: Date.now(), reqId: `r${n}`, message: { ToUserName: 'gh', FromUserName: 'o1', CreateTime: '1', MsgType: 'text', Content: String(n), MsgId: String(n) } as never } };
      };
      const lines = apps.flatMap((a) => [1, 2, 3, 4, 5, 6].map((n) => line(a.appid, n)));
      for (const l of lines) await spool.append(l);
      await spool.append(lines[0]!); // a retry spooled twice
      const drainer = createSpoolDrainer({ spool, route, redis, nonceBodies: createNonceBodies({ redis }, { keys }), logger: captureLogs().logger }, { batchSize: 4 });
      expect(await drainer.drainOnce()).toBe(13);
      for (const l of lines) expect(await route(l.data.appid, l.jobId).getJob(l.jobId)).toMatchObject({ id: l.jobId });
      const counts = await Promise.all(queues.all().map((q) => q.getJobCounts('waiting')));
      expect(counts.reduce((n, c) => n + (c.waiting ?? 0), 0)).toBe(12);
      expect(await drainer.drainOnce()).toBe(0);
    } finally {
      await spool.close();
      await queues.close();
      redis.disconnect();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('the token keeper across processes on Redis Cluster', () => {
  let h: TokenHarness;
  const children: KeeperChild[] = [];
  afterAll(async () => {
    for (const c of children) c.kill('SIGKILL');
    await h?.close();
  });

  it('two processes × fifty concurrent get() at start: one fetch, one token, kept in the account\'s slot', { timeout: 60_000 }, async () => {
    h = await startTokenHarness({}, 'ctok');
    const APPID = 'wxclustertoken1';
    const nodes = cluster.nodes.map((n) => ({ host: '127.0.0.1', port: n.port }));
    const spawn = () => {
      const c = spawnKeeperChild({ apiBase: h.url, prefix: h.prefix, apps: [app(APPID, 'sec')], appid: APPID, action: 'get', n: 50, redisClusterNodes: nodes });
      children.push(c);
      return c;
    };
    const [a, b] = [spawn(), spawn()];
    await Promise.all([a.ready, b.ready]);
    a.go();
    b.go();
    const [ra, rb] = await Promise.all([a.result, b.result]);
    const fps = new Set([...ra.results, ...rb.results].map((r) => (r as { fp: string }).fp));
    expect(fps).toEqual(new Set([fingerprint(h.mock.state.currentToken(APPID)!)]));
    expect(h.mock.state.stats().tokenFetches.total).toBe(1);
    expect(await admin.hget(`{${h.prefix}:${APPID}}:token`, 'token')).toBe(h.mock.state.currentToken(APPID));
  });
});

describe('campaigns on Redis Cluster', () => {
  let h: CampaignHarness;
  beforeAll(async () => {
    h = await startCampaignHarness({ env: clusterEnv(), templates: { templates: { TPL_SHIPPED: ['first'] } } });
  }, 60_000);
  afterAll(async () => {
    await h?.close();
  });

  it('a campaign of 30 is sent once each, paused and resumed on the way, with its keys in the account\'s slot', async () => {
    const users = openids(30, 'clu');
    const r = await h.call('/campaigns', { method: 'POST', body: JSON.stringify({ template_id: 'TPL_SHIPPED', data: { first: 'a' }, recipients: users.map((touser) => ({ touser })) }) });
    expect(r.status).toBe(202);
    const id = r.json.campaign_id as string;
    expect((await h.call(`/campaigns/${id}/pause`, { method: 'POST' })).status).toBeLessThan(300);
    expect((await h.call(`/campaigns/${id}/resume`, { method: 'POST' })).status).toBeLessThan(300);
    const done = await waitFor(async () => {
      const s = await h.call(`/campaigns/${id}`);
      return s.json.counts.delivered === 30 && s.json;
    }, 'every delivery', 30_000);
    expect(done).toMatchObject({ state: 'finished', sent_total: 30 });
    expect(h.mock.state.templates.stats()).toMatchObject({ accepted: 30, duplicates: 0 });
    expect(await admin.hget(keysOf(h.config).campaign(TEST_APP.appid, id), 'state')).toBe('running');
  });
});

describe('WXGATE_REDIS_WAIT_REPLICAS on Redis Cluster', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ env: { ...clusterEnv(), WXGATE_REDIS_WAIT_REPLICAS: '1' }, workers: false });
  }, 60_000);
  afterAll(async () => {
    await h?.close();
  });

  it("a push is acked once the replica of its account's master has the job (WAIT on that master)", async () => {
    const msg = text(newOpenid(), 'wait on the cluster');
    expect(await h.push(msg)).toEqual({ status: 200, text: 'success' });
    const id = inboundId(msg.MsgId as string);
    expect(h.t.logs.lines.find((l) => l.layer === 'receive' && l.dedupKey === id)).toMatchObject({ outcome: 'acked' });
    const key = `{${h.t.config.prefix}:${TEST_APP.appid}}:inbound:${id}`;
    const master = await masterOf(key);
    const replicas = String(await cluster.node(master).call('INFO', 'replication'));
    const port = Number(/^slave0:ip=[^,]+,port=(\d+)/m.exec(replicas)?.[1]);
    const replica = cluster.node(port);
    await replica.call('READONLY');
    expect(await replica.exists(key)).toBe(1);
  });
});

describe('inbound queue shards sharing a master (WXGATE_QUEUE_SHARDS)', () => {
  /** An appid whose 3 shard tags under `prefix` land on `wanted` distinct masters. */
  async function appidWith(prefix: string, wanted: number): Promise<string> {
    const keys = redisKeys({ prefix, layout: 'account' });
    for (let i = 0; ; i += 1) {
      const appid = `wxshard${String(i).padStart(9, '0')}`;
      const masters = new Set(await Promise.all([0, 1, 2].map((s) => masterOf(keys.queuePrefix(appid, s)))));
      if (masters.size === wanted) return appid;
    }
  }

  async function healthFor(prefix: string, appid: string) {
    const logs = captureLogs();
    const config = loadConfig({ ...clusterEnv(), WXGATE_PREFIX: prefix, WECHAT_APPID: appid, WECHAT_TOKEN: 'tok', WXGATE_QUEUE_SHARDS: '3', WXGATE_REDIS_CHECK_INTERVAL_MS: '3600000' });
    const metrics = createMetrics({ processMetrics: false });
    const health = createRedisHealth({ config, logger: logs.logger, metrics }, { startWaitMs: 10_000 });
    await health.start();
    const gauge = async () => (await metrics.queueShardsTogether.get()).values.find((v) => v.labels.appid === appid)?.value;
    return { logs, health, gauge, marker: keysOf(config).datasetMarker() };
  }

  it('one warn line naming the shards, their master and slots, and the gauge; a second check says nothing new', async () => {
    const prefix = testPrefix('shards');
    const appid = await appidWith(prefix, 1);
    const { logs, health, gauge, marker } = await healthFor(prefix, appid);
    try {
      const lines = () => logs.lines.filter((l) => l.code === 'queue_shards_together');
      expect(lines()).toHaveLength(1);
      expect(lines()[0]).toMatchObject({ level: 40, appid, shards: [0, 1, 2], master: expect.stringMatching(/:\d+$/) });
      expect(await gauge()).toBe(3);
      await health.check();
      expect(lines()).toHaveLength(1);
    } finally {
      await health.close();
      await admin.del(marker);
    }
  });

  it('shards on masters of their own: no line, the gauge at 0', async () => {
    const prefix = testPrefix('shards');
    const appid = await appidWith(prefix, 3);
    const { logs, health, gauge, marker } = await healthFor(prefix, appid);
    try {
      expect(logs.lines.filter((l) => l.code === 'queue_shards_together')).toEqual([]);
      expect(await gauge()).toBe(0);
    } finally {
      await health.close();
      await admin.del(marker);
    }
  });
});

describe('reply mode auto on Redis Cluster', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ env: { ...clusterEnv(), WECHAT_REPLY_MODE: 'auto', WXGATE_PASSIVE_WAIT_MS: '3000' } });
  }, 60_000);
  afterAll(async () => {
    await h?.close();
  });

  // PUBLISH counts only the subscribers of the node it runs on: with the receiver subscribed on
  // another node than a push's slot, the count said "nobody waits" and the first reply went out
  // twice, in the answer and through customer service. Six pushes spread over the three masters.
  it('each first reply goes once: in the answer, and not through customer service as well', async () => {
    const openids = Array.from({ length: 6 }, () => newOpenid());
    for (const openid of openids) {
      const res = await h.push(text(openid, 'cluster passive'));
      expect(res.status).toBe(200);
      const outer = parseXml(res.text);
      const { message } = new WXBizMsgCrypt(TEST_APP.token, TEST_APP.encodingAESKey, TEST_APP.appid).decrypt(outer.Encrypt as string);
      expect(parseXml(message)).toMatchObject({ ToUserName: openid, Content: 'echo: cluster passive' });
    }
    const handled = () => h.t.logs.lines.filter((l) => l.layer === 'worker' && l.outcome === 'handled' && openids.includes(l.openid as string));
    await waitFor(() => handled().length === 6, 'the six handled lines');
    expect(handled().map((l) => l.passive)).toEqual(Array(6).fill('handed'));
    await new Promise((r) => setTimeout(r, 500));
    expect(openids.flatMap((o) => h.sentTo(o))).toEqual([]);
  });
});

describe('the replay guard across inbound queue shards (plaintext accepted, WXGATE_QUEUE_SHARDS=3)', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ env: { ...clusterEnv(), WXGATE_QUEUE_SHARDS: '3', WECHAT_MESSAGE_MODE: 'compat' }, workers: false });
  }, 60_000);
  afterAll(async () => {
    await h?.close();
  });

  // BullMQ's deduplication id, which stops a second message on a seen nonce, lives in one shard's
  // queue; another message goes to the shard of its own dedup key, where nothing knew the nonce.
  it('a seen URL carrying another message bound for another shard is refused, and no shard holds it', async () => {
    const timestamp = String(Math.floor(Date.now() / 1000));
    const nonce = `n${Date.now()}`;
    const genuine = text(newOpenid(), 'genuine');
    const shardOfMsg = (m: typeof genuine) => shardOf(inboundId(m.MsgId as string), 3);
    let forged = text(newOpenid(), 'forged');
    while (shardOfMsg(forged) === shardOfMsg(genuine)) forged = text(newOpenid(), 'forged');
    const first = buildPush(TEST_APP, genuine, { timestamp, nonce });
    const post = (body: string) => fetch(h.t.url + first.path, { method: 'POST', body, headers: { 'content-type': 'text/xml' } });
    expect(await (await post(first.body)).text()).toBe('success');
    const replay = buildPush(TEST_APP, forged, { timestamp, nonce });
    expect((await post(replay.body)).status).toBe(409);
    const keys = keysOf(h.t.config);
    const shards = [0, 1, 2].map((n) => new Queue(INBOUND_QUEUE, { connection: admin, prefix: keys.queuePrefix(TEST_APP.appid, n) }));
    try {
      for (const q of shards) expect(await q.getJob(inboundId(forged.MsgId as string))).toBeUndefined();
      expect(await shards[shardOfMsg(genuine)]!.getJob(inboundId(genuine.MsgId as string))).toBeDefined();
    } finally {
      await Promise.all(shards.map((q) => q.close()));
    }
  });
});
