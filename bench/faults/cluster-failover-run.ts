// One master of a Redis Cluster killed under steady signed pushes (issue 18): `wxgate serve` +
// `wxgate worker` (two processes) + the mock WeChat API on a cluster of its own (3 masters, 3
// replicas, cluster-node-timeout 2 s), the simulator pushing as WeChat does (5 s timeout, up to 3
// deliveries). At `killAtS` the master holding the account's slot is SIGKILLed; once its replica
// is promoted the killed node is started again (a supervisor's restart) and rejoins as the new
// master's replica — without it, a shard with WXGATE_REDIS_WAIT_REPLICAS=1 has no replica to wait
// for and spools until one is back. Counted per message (one openid each): acknowledged, handler
// runs (the worker's `handled` lines), replies at the mock. Used by the failover integration test
// and by the faults suite's case (cluster-failover.ts).
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createMockWeChat } from '../../src/dev/mock-wechat/index.js';
import { simulate } from '../../src/dev/simulator/simulate.js';
import type { MessageResult } from '../../src/dev/simulator/types.js';
import { startWxgate, type WxgateProcess } from '../../src/dev/simulator/wxgate-process.js';
import { ownCluster, type OwnCluster } from '../../test/helpers/redis-cluster.js';

const ACCOUNT = { appid: 'wxclusterfail01', token: 'benchtoken', aesKey: 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG' };

export interface FailoverRunOptions {
  rate: number;
  durationS: number;
  killAtS: number;
  waitReplicas: number;
  workDir: string;
  log?(message: string): void;
  /** How long to wait, after the load and the fault, for every acknowledged message's reply. */
  drainTimeoutMs?: number;
}

export interface FailoverCounts {
  pushes: number;
  deliveries: number;
  success: number;
  otherAnswers: Record<string, number>;
  /** Messages acknowledged on some delivery. */
  acked: number;
  /** Messages never acknowledged (WeChat showed the user an error). */
  neverAcked: number;
  handlerRuns: number;
  /** Messages whose handler ran more than once. */
  handledTwice: number;
  replies: number;
  lost: number;
  duplicated: number;
  /** Pushes the receiver put in its local spool (Redis or the replicas not answering in time). */
  spooled: number;
  /** Kill → the slot served by the promoted replica. */
  promotionMs: number;
  /** From the later of the load's end and the killed node's return until every acknowledged message was replied to (undefined: not within the timeout). */
  drainMs?: number;
  /** Ack latency over the deliveries answered (ms). */
  ackP50: number;
  ackP99: number;
  killedPort: number;
}

async function slotMaster(cluster: OwnCluster, askPort: number, key: string): Promise<number | undefined> {
  const conn = cluster.node(askPort);
  try {
    const slot = Number(await conn.call('CLUSTER', 'KEYSLOT', key));
    const shards = (await conn.call('CLUSTER', 'SLOTS')) as [number, number, [string, number]][];
    return shards.find(([from, to]) => slot >= from && slot <= to)?.[2][1];
  } finally {
    conn.disconnect();
  }
}

const quantile = (xs: number[], q: number) => (xs.length === 0 ? 0 : xs.sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))]!);

export async function runClusterFailover({ rate, durationS, killAtS, waitReplicas, workDir, log = () => undefined, drainTimeoutMs = 60_000 }: FailoverRunOptions): Promise<FailoverCounts> {
  const prefix = `wxfail${randomBytes(3).toString('hex')}`;
  const cluster = await ownCluster();
  const mock = createMockWeChat({}, { appsecrets: 'any' });
  const mockServer = await mock.listen(0, '127.0.0.1');
  const env: Record<string, string> = {
    REDIS_CLUSTER_NODES: cluster.nodesList,
    WXGATE_PREFIX: prefix,
    WXGATE_SPOOL_DIR: join(workDir, 'spool'),
    WECHAT_APPID: ACCOUNT.appid,
    WECHAT_APPSECRET: 'bench-secret',
    WECHAT_TOKEN: ACCOUNT.token,
    WECHAT_ENCODING_AES_KEY: ACCOUNT.aesKey,
    WECHAT_API_BASE: mockServer.url,
    WXGATE_OUTBOUND_RATE: '5000',
    ...(waitReplicas > 0 && { WXGATE_REDIS_WAIT_REPLICAS: String(waitReplicas) }),
  };
  const workerLog = join(workDir, 'worker.log');
  const serveLog = join(workDir, 'serve.log');
  const procs: WxgateProcess[] = [];
  try {
    procs.push(await startWxgate({ command: 'worker', env, logFile: workerLog }));
    procs.push(await startWxgate({ command: 'serve', env, logFile: serveLog }));
    const tagKey = `{${prefix}:${ACCOUNT.appid}}:inbound:wait`;
    const killedPort = (await slotMaster(cluster, cluster.nodes[0]!.port, tagKey))!;
    const killed = cluster.nodes.find((n) => n.port === killedPort)!;
    const survivor = cluster.nodes.find((n) => n.port !== killedPort)!;
    log(`account slot on master ${killedPort}; pushing ${rate}/s for ${durationS} s, kill at ${killAtS} s, WAIT ${waitReplicas}`);

    const results: MessageResult[] = [];
    let promotionMs = NaN;
    let nodeBackAt = 0;
    const fault = (async () => {
      await sleep(killAtS * 1000);
      const killedAt = Date.now();
      await killed.kill();
      log(`killed ${killedPort}`);
      for (;;) {
        const now = await slotMaster(cluster, survivor.port, tagKey).catch(() => undefined);
        if (now !== undefined && now !== killedPort) break;
        await sleep(50);
      }
      promotionMs = Date.now() - killedAt;
      log(`replica promoted after ${promotionMs} ms; restarting ${killedPort}`);
      await killed.restart();
      nodeBackAt = Date.now();
    })();
    const count = rate * durationS;
    await simulate({ ...ACCOUNT, url: `${procs[1]!.url}/wechat`, mode: 'aes', count, rate, users: count, concurrency: Math.max(200, rate * 8), maxDurationMs: (durationS + 5) * 1000, prebuild: true, onMessage: (r) => results.push(r) });
    await fault;
    const loadEndAt = Date.now();

    const acked = results.filter((r) => r.ackedOn > 0);
    const repliesOf = () => {
      const by = new Map<string, number>();
      for (const s of mock.state.sent()) {
        const to = (s.body as { touser?: string }).touser;
        if (to) by.set(to, (by.get(to) ?? 0) + 1);
      }
      return by;
    };
    const drainFrom = Math.max(loadEndAt, nodeBackAt);
    let drainMs: number | undefined;
    for (;;) {
      const by = repliesOf();
      if (acked.every((r) => (by.get(r.openid) ?? 0) > 0)) {
        drainMs = Date.now() - drainFrom;
        break;
      }
      if (Date.now() - drainFrom > drainTimeoutMs) break;
      await sleep(100);
    }
    await sleep(1500); // a duplicate reply would come within this
    for (const p of procs.splice(0)) await p.stop();

    const replies = repliesOf();
    const runs = new Map<string, number>();
    for (const line of readFileSync(workerLog, 'utf8').split('\n')) {
      if (!line.includes('"layer":"worker"') || !line.includes('"outcome":"handled"')) continue;
      const openid = (JSON.parse(line) as { openid?: string }).openid;
      if (openid) runs.set(openid, (runs.get(openid) ?? 0) + 1);
    }
    const spooled = readFileSync(serveLog, 'utf8').split('\n').filter((l) => l.includes('"layer":"receive"') && l.includes('"outcome":"spooled"')).length;
    const deliveries = results.flatMap((r) => r.deliveries);
    const otherAnswers: Record<string, number> = {};
    for (const d of deliveries) {
      if (d.outcome === 'ack' || d.outcome === 'passive') continue;
      const key = d.status !== undefined ? String(d.status) : d.outcome === 'request_timeout' ? 'timeout' : d.error ?? 'reset';
      otherAnswers[key] = (otherAnswers[key] ?? 0) + 1;
    }
    const ms = deliveries.filter((d) => d.outcome === 'ack').map((d) => d.ms);
    const mine = new Set(results.map((r) => r.openid));
    return {
      pushes: results.length,
      deliveries: deliveries.length,
      success: deliveries.filter((d) => d.outcome === 'ack').length,
      otherAnswers,
      acked: acked.length,
      neverAcked: results.length - acked.length,
      handlerRuns: [...runs].filter(([o]) => mine.has(o)).reduce((n, [, c]) => n + c, 0),
      handledTwice: [...runs.values()].filter((c) => c > 1).length,
      replies: [...replies.keys()].filter((o) => mine.has(o)).length,
      lost: acked.filter((r) => !(runs.get(r.openid)! > 0) || !(replies.get(r.openid)! > 0)).length,
      duplicated: [...replies.values()].reduce((n, c) => n + Math.max(0, c - 1), 0),
      spooled,
      promotionMs,
      drainMs,
      ackP50: Math.round(quantile(ms, 0.5) * 10) / 10,
      ackP99: Math.round(quantile(ms, 0.99) * 10) / 10,
      killedPort,
    };
  } finally {
    for (const p of procs) await p.stop();
    await mockServer.close();
    await cluster.stop();
  }
}
