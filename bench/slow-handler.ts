// Why wxgate exists, measured: a handler that takes 8 s (an LLM-style answer) behind wxgate and
// behind co-wechat, the same 20 messages pushed by the simulator exactly as WeChat pushes them
// (5 s timeout, 3 deliveries with the same MsgId). Per target: the share of messages WeChat
// would count as timed out (请求超时), how often the handler ran per message, and how many
// answers reached the user.
//   wxgate     `wxgate all` with bench/targets/wxgate-slow-handlers.ts; answers through custom/send
//              to the mock WeChat API; runs counted from its "slow handler run" log lines
//   co-wechat  bench/targets/co-wechat-slow.ts; answers passively when the handler ends; runs
//              counted in memory, read at GET /__runs
// Bounded: 20 messages each, every wait has a deadline; about 40 s in all.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { createMockWeChat } from '../src/dev/mock-wechat/index.js';
import { simulate } from '../src/dev/simulator/simulate.js';
import type { MessageResult, SimulationSummary } from '../src/dev/simulator/types.js';
import { startWxgate } from '../src/dev/simulator/wxgate-process.js';
import { deletePrefix } from './lib/redis-cleanup.js';
import { startTarget } from './lib/target.js';
import { gatewayEnv, REDIS_URL } from './lib/gateway-env.js';

const ACCOUNT = { appid: 'wxbenchslow00001', token: 'benchtoken' };
const HANDLERS = fileURLToPath(new URL('./targets/wxgate-slow-handlers.ts', import.meta.url));

export interface SlowTargetResult {
  readonly target: string;
  readonly messages: number;
  readonly deliveries: number;
  /** Deliveries that got no answer within 5 s. */
  readonly requestTimeouts: number;
  /** Share of messages with at least one 请求超时, in %. */
  readonly timedOutPct: number;
  /** Messages never acknowledged: the user saw "该公众号暂时无法提供服务". */
  readonly neverAcked: number;
  readonly runsPerMessage: { readonly min: number; readonly mean: number; readonly max: number };
  /** Answers that reached the user (custom/send recorded by the mock, or passive replies WeChat accepted). */
  readonly answersDelivered: number;
}

export interface SlowHandlerBench {
  readonly handlerMs: number;
  readonly messages: number;
  readonly results: readonly SlowTargetResult[];
}

function push(url: string, count: number, onMessage: (r: MessageResult) => void): Promise<SimulationSummary> {
  // Plaintext for both: co-wechat is configured without an EncodingAESKey.
  return simulate({ ...ACCOUNT, url, mode: 'plain', count, users: count, rate: 10, concurrency: count, maxDurationMs: 10_000, onMessage });
}

function runStats(counts: number[]): SlowTargetResult['runsPerMessage'] {
  const mean = counts.reduce((a, b) => a + b, 0) / Math.max(1, counts.length);
  return { min: Math.min(...counts), mean: Math.round(mean * 100) / 100, max: Math.max(...counts) };
}

function result(target: string, s: SimulationSummary, runs: number[], answersDelivered: number): SlowTargetResult {
  const r: SlowTargetResult = {
    target,
    messages: s.messages,
    deliveries: s.deliveries,
    requestTimeouts: s.alerts.find((a) => a.id === 'request_timeout')!.count,
    timedOutPct: Math.round(s.timedOutShare * 1000) / 10,
    neverAcked: s.acknowledged.never,
    runsPerMessage: runStats(runs),
    answersDelivered,
  };
  console.log(
    `${target.padEnd(10)} ${r.messages} messages, ${r.deliveries} deliveries, 请求超时 ${r.requestTimeouts} (${r.timedOutPct}% of messages), never acknowledged ${r.neverAcked}; handler runs per message ${r.runsPerMessage.min}–${r.runsPerMessage.max} (mean ${r.runsPerMessage.mean}); answers delivered ${r.answersDelivered}`,
  );
  return r;
}

async function benchWxgate(count: number, handlerMs: number, dir: string): Promise<SlowTargetResult> {
  const prefix = `wxbench-slow-${randomBytes(4).toString('hex')}`;
  const mock = createMockWeChat({}, { appsecrets: 'any' });
  const mockServer = await mock.listen(0, '127.0.0.1');
  const logFile = join(dir, 'wxgate-all.log');
  const wxgate = await startWxgate({
    command: 'all',
    logFile,
    env: {
      ...gatewayEnv({ prefix, dir, apiBase: mockServer.url, account: ACCOUNT }),
      WXGATE_HANDLERS: HANDLERS,
      BENCH_HANDLER_MS: String(handlerMs),
    },
  });
  try {
    const msgIds = new Set<string>();
    const summary = await push(`${wxgate.url}/wechat`, count, (r) => msgIds.add(r.msgId!));
    const openids = new Set<string>();
    const deadline = Date.now() + handlerMs + 15_000;
    while (Date.now() < deadline) {
      for (const s of mock.state.sent({ path: '/cgi-bin/message/custom/send' })) openids.add(String((s.body as { touser?: string }).touser));
      if (openids.size >= count) break;
      await sleep(200);
    }
    const runs = new Map<string, number>([...msgIds].map((id) => [id, 0]));
    for (const line of readFileSync(logFile, 'utf8').split('\n')) {
      if (!line.includes('"slow handler run"')) continue;
      const id = String((JSON.parse(line) as { msgId?: string }).msgId);
      if (runs.has(id)) runs.set(id, runs.get(id)! + 1);
    }
    return result('wxgate', summary, [...runs.values()], openids.size);
  } finally {
    await wxgate.stop();
    await mockServer.close();
    await deletePrefix(REDIS_URL, prefix);
  }
}

async function benchCoWechat(count: number, handlerMs: number, dir: string): Promise<SlowTargetResult> {
  const target = await startTarget('co-wechat-slow.ts', { BENCH_APPID: ACCOUNT.appid, BENCH_TOKEN: ACCOUNT.token, BENCH_HANDLER_MS: String(handlerMs) }, join(dir, 'co-wechat-slow.log'));
  try {
    const msgIds = new Set<string>();
    const summary = await push(`${target.url}/wechat`, count, (r) => msgIds.add(r.msgId!));
    // Retries started handlers that are still running: wait (bounded) for them to finish.
    let runs: Record<string, { started: number; finished: number }> = {};
    const deadline = Date.now() + handlerMs + 5000;
    while (Date.now() < deadline) {
      runs = (await (await fetch(`${target.url}/__runs`)).json()) as typeof runs;
      if (Object.values(runs).every((r) => r.finished === r.started)) break;
      await sleep(200);
    }
    return result('co-wechat', summary, [...msgIds].map((id) => runs[id]?.started ?? 0), summary.passiveReplies);
  } finally {
    await target.stop();
  }
}

export async function benchSlowHandler({ count = 20, handlerMs = 8000 }: { count?: number; handlerMs?: number } = {}): Promise<SlowHandlerBench> {
  const dir = mkdtempSync(join(tmpdir(), 'wxgate-bench-slow-'));
  try {
    const wxgate = await benchWxgate(count, handlerMs, dir);
    const coWechat = await benchCoWechat(count, handlerMs, dir);
    return { handlerMs, messages: count, results: [wxgate, coWechat] };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function slowHandlerTable(r: SlowHandlerBench): string {
  return [
    `${r.messages} text messages, a handler that takes ${r.handlerMs / 1000} s, pushed as WeChat pushes (5 s timeout, up to 3 deliveries).`,
    '',
    '| target | deliveries | 请求超时 deliveries | messages timed out | never acknowledged | handler runs per message (min–max, mean) | answers that reached the user |',
    '|---|---:|---:|---:|---:|---:|---:|',
    ...r.results.map(
      (t) =>
        `| ${t.target} | ${t.deliveries} | ${t.requestTimeouts} | ${t.timedOutPct}% | ${t.neverAcked} | ${t.runsPerMessage.min}–${t.runsPerMessage.max} (${t.runsPerMessage.mean}) | ${t.answersDelivered} of ${t.messages} |`,
    ),
  ].join('\n');
}
