// End to end: the simulator pushes as WeChat does (safe mode, signed and encrypted, 5 s timeout,
// retries) to wxgate — `wxgate all`, or `serve` + `worker` as two processes — whose workers run
// the built-in echo handler and reply through custom/send to the mock WeChat API (in this
// process, so push and reply times are read on one clock). Two figures:
//   throughput  pushes sent as fast as wxgate acknowledges them; replies recorded per second,
//               from the first push to the last reply
//   latency     pushes at a constant 1,000/s, and at half the measured throughput (a load the
//               workers keep up with); push-to-reply p50/p99 (push sent → reply recorded)
// Default layout serve + worker: two processes spread over the two cores, as in production.
// Bounded: every phase has a message count and a deadline; the whole suite stays under ~60 s.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { createMockWeChat, type MockWeChat } from '../src/dev/mock-wechat/index.js';
import { percentile } from '../src/dev/simulator/summarize.js';
import { simulate } from '../src/dev/simulator/simulate.js';
import type { MessageResult, SimulationSummary } from '../src/dev/simulator/types.js';
import { startWxgate, type WxgateProcess } from '../src/dev/simulator/wxgate-process.js';
import { deletePrefix } from './lib/redis-cleanup.js';
import { gatewayEnv, REDIS_URL } from './lib/gateway-env.js';

const ACCOUNT = { appid: 'wxbenche2e000001', token: 'benchtoken', aesKey: 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG' };
const SEND_PATH = '/cgi-bin/message/custom/send';

export type Layout = 'all' | 'serve+worker';

export interface PhaseResult {
  readonly phase: string;
  readonly pushes: number;
  /** Pushes acknowledged on the first delivery. */
  readonly ackedFirst: number;
  /** Deliveries WeChat would count as 请求超时 (no answer within 5 s). */
  readonly requestTimeouts: number;
  readonly replies: number;
  /** Replies recorded per second, first push → last reply. */
  readonly repliesPerSecond: number;
  /** Pushes started per second (the simulator's achieved rate). */
  readonly pushesPerSecond: number;
  readonly ackP50: number;
  readonly ackP99: number;
  readonly replyP50: number;
  readonly replyP99: number;
  readonly replyMax: number;
  /** CPU milliseconds per reply, per process (where the CPU went: 2 cores are shared by all). */
  readonly cpuMsPerReply: Record<string, number>;
}

export interface E2EBench {
  readonly layout: Layout;
  readonly outboundRate: number;
  readonly throughput: PhaseResult;
  readonly latencyAt1000: PhaseResult;
  readonly latencyAtHalf: PhaseResult;
}

async function startGateway(layout: Layout, env: Record<string, string>, logDir: string): Promise<WxgateProcess[]> {
  if (layout === 'all') return [await startWxgate({ command: 'all', env, logFile: join(logDir, 'all.log') })];
  const worker = await startWxgate({ command: 'worker', env, logFile: join(logDir, 'worker.log') });
  return [await startWxgate({ command: 'serve', env, logFile: join(logDir, 'serve.log') }), worker];
}

/** CPU seconds used so far by each process in the run: wxgate's, Redis (when local) and this one. */
type CpuMeters = Record<string, () => number>;

function procCpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime, in clock ticks of 1/100 s
}

async function cpuMeters(procs: { name: string; pid: number }[]): Promise<CpuMeters> {
  const ownCpu = () => {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1e6;
  };
  const meters: CpuMeters = { 'bench (simulator + mock)': ownCpu };
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
  const redisPid = Number(/process_id:(\d+)/.exec(await redis.info('server'))?.[1]);
  redis.disconnect();
  const all = [...procs, { name: 'redis', pid: redisPid }].filter((p) => p.pid > 0 && existsSync(`/proc/${p.pid}/stat`));
  for (const p of all) meters[p.name] = () => procCpuSeconds(p.pid);
  return meters;
}

async function phase(
  name: string,
  { mock, url, count, rate, maxMs, drainMs, concurrency, meters }: { mock: MockWeChat; url: string; count: number; rate: number; maxMs: number; drainMs: number; concurrency: number; meters: CpuMeters },
): Promise<PhaseResult> {
  let cpuBefore: Record<string, number> = {};
  const pushed = new Map<string, MessageResult>();
  const summary: SimulationSummary = await simulate({
    ...ACCOUNT,
    url,
    mode: 'aes',
    count,
    rate,
    users: 1000,
    concurrency,
    maxDurationMs: maxMs,
    onMessage: (r) => pushed.set(`${r.openid}|你说：${r.content}`, r),
    // Pushes are built before the clocks start: the load generator shares the two cores.
    prebuild: true,
    onStart: () => (cpuBefore = Object.fromEntries(Object.entries(meters).map(([k, read]) => [k, read()]))),
  });
  // Wait (bounded) for the replies of every acknowledged push.
  const replies = new Map<string, number>();
  const deadline = Date.now() + drainMs;
  let seen = 0;
  while (Date.now() < deadline) {
    const sent = mock.state.sent({ path: SEND_PATH });
    for (let i = seen; i < sent.length; i += 1) {
      const body = sent[i]!.body as { touser?: string; text?: { content?: string } };
      const key = `${body.touser}|${body.text?.content}`;
      if (pushed.has(key) && !replies.has(key)) replies.set(key, sent[i]!.at);
    }
    seen = sent.length;
    if (replies.size >= summary.acknowledged.first + summary.acknowledged.afterRetry) break;
    await sleep(50);
  }
  const cpuMsPerReply = Object.fromEntries(Object.entries(meters).map(([k, read]) => [k, Math.round(((read() - cpuBefore[k]!) * 1000 * 100) / Math.max(1, replies.size)) / 100]));
  const pushes = [...pushed.values()];
  const firstPush = pushes.reduce((m, p) => Math.min(m, p.sentAt), Infinity);
  const lastPush = pushes.reduce((m, p) => Math.max(m, p.sentAt), 0);
  const lastReply = [...replies.values()].reduce((m, at) => Math.max(m, at), 0);
  const latencies = [...replies].map(([key, at]) => at - pushed.get(key)!.sentAt).sort((a, b) => a - b);
  const acks = pushes.map((p) => p.deliveries[0]!.ms).sort((a, b) => a - b);
  const r: PhaseResult = {
    phase: name,
    pushes: pushes.length,
    ackedFirst: summary.acknowledged.first,
    requestTimeouts: summary.alerts.find((a) => a.id === 'request_timeout')!.count,
    replies: replies.size,
    repliesPerSecond: Math.round((replies.size / Math.max(1, lastReply - firstPush)) * 1000),
    pushesPerSecond: Math.round((pushes.length / Math.max(1, lastPush - firstPush)) * 1000),
    ackP50: Math.round(percentile(acks, 0.5)),
    ackP99: Math.round(percentile(acks, 0.99)),
    replyP50: percentile(latencies, 0.5),
    replyP99: percentile(latencies, 0.99),
    replyMax: latencies[latencies.length - 1] ?? 0,
    cpuMsPerReply,
  };
  console.log(
    `${name.padEnd(16)} ${r.pushes} pushes (${r.pushesPerSecond}/s, acked first ${r.ackedFirst}, ack p50 ${r.ackP50} p99 ${r.ackP99} ms) → ${r.replies} replies, ${r.repliesPerSecond}/s end to end; push→reply p50 ${r.replyP50} p99 ${r.replyP99} max ${r.replyMax} ms; CPU ms per reply ${JSON.stringify(r.cpuMsPerReply)}`,
  );
  return r;
}

export async function benchE2E({ layout = 'serve+worker', outboundRate = 5000 }: { layout?: Layout; outboundRate?: number } = {}): Promise<E2EBench> {
  const prefix = `wxbench-e2e-${randomBytes(4).toString('hex')}`;
  const dir = mkdtempSync(join(tmpdir(), 'wxgate-bench-e2e-'));
  const mock = createMockWeChat({}, { appsecrets: 'any' });
  const mockServer = await mock.listen(0, '127.0.0.1');
  const env = {
    ...gatewayEnv({ prefix, dir, apiBase: mockServer.url, account: ACCOUNT }),
    // The per-appid send limit (default 500/s) would be the figure otherwise; WeChat's own is the mock's.
    WXGATE_OUTBOUND_RATE: String(outboundRate),
    LOG_LEVEL: 'info',
  };
  let procs: WxgateProcess[] = [];
  try {
    procs = await startGateway(layout, env, dir);
    const url = `${procs[0]!.url}/wechat`;
    const names = layout === 'all' ? ['wxgate all'] : ['wxgate serve', 'wxgate worker'];
    const meters = await cpuMeters(procs.map((p, i) => ({ name: names[i]!, pid: p.child.pid ?? 0 })));
    await phase('warm-up', { mock, url, count: 600, rate: 300, maxMs: 3000, drainMs: 5000, concurrency: 50, meters });
    const throughput = await phase('as fast as acked', { mock, url, count: 20_000, rate: 0, maxMs: 5000, drainMs: 15_000, concurrency: 64, meters });
    const latencyAt1000 = await phase('at 1,000/s', { mock, url, count: 4000, rate: 1000, maxMs: 4000, drainMs: 12_000, concurrency: 2000, meters });
    const half = Math.max(25, Math.round(throughput.repliesPerSecond / 2));
    const latencyAtHalf = await phase(`at ${half}/s`, { mock, url, count: half * 6, rate: half, maxMs: 6000, drainMs: 6000, concurrency: 200, meters });
    return { layout, outboundRate, throughput, latencyAt1000, latencyAtHalf };
  } finally {
    for (const p of procs) await p.stop();
    await mockServer.close();
    await deletePrefix(REDIS_URL, prefix);
    rmSync(dir, { recursive: true, force: true });
  }
}

export function e2eTable(r: E2EBench): string {
  return [
    `wxgate \`${r.layout}\` (safe mode, built-in echo handler, WXGATE_OUTBOUND_RATE=${r.outboundRate}) → mock WeChat API; simulator and mock in the bench process.`,
    '',
    '| phase | pushes | pushes/s | acked 1st | 请求超时 | ack p50 / p99 ms | replies | replies/s end to end | push→reply p50 / p99 / max ms |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...[r.throughput, r.latencyAt1000, r.latencyAtHalf].map(
      (p) => `| ${p.phase} | ${p.pushes} | ${p.pushesPerSecond} | ${p.ackedFirst} | ${p.requestTimeouts} | ${p.ackP50} / ${p.ackP99} | ${p.replies} | ${p.repliesPerSecond} | ${p.replyP50} / ${p.replyP99} / ${p.replyMax} |`,
    ),
    '',
    'CPU per message, as fast as acked (what bounds the end-to-end rate on these two shared cores):',
    '',
    '| process | CPU ms per reply |',
    '|---|---:|',
    ...Object.entries(r.throughput.cpuMsPerReply).map(([name, ms]) => `| ${name} | ${ms} |`),
    '',
    `Ceiling from these costs on ${cpus().length} cores: ${ceiling(r.throughput.cpuMsPerReply, true)} replies/s with the load generator, ${ceiling(r.throughput.cpuMsPerReply, false)}/s for wxgate + Redis alone.`,
  ].join('\n');
}

function ceiling(cpuMs: Record<string, number>, withBench: boolean): number {
  const total = Object.entries(cpuMs).reduce((sum, [name, ms]) => (withBench || !name.startsWith('bench') ? sum + ms : sum), 0);
  return total > 0 ? Math.round((cpus().length * 1000) / total) : 0;
}
