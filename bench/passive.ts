// Passive replies (issue 17): the simulator pushes at a constant rate, as WeChat does (safe mode,
// signed and encrypted, 5 s timeout), to `wxgate serve` + `wxgate worker` (two processes, as in
// production) running the built-in echo handler in reply mode passive. Per rate:
//   answered passively  the share of pushes whose answer carried the reply
//   answer time         p50 / p99 of push sent → whole answer received, in the simulator
//   hand-over           the worker's publish → the receiver holding the reply (handOverMs of the
//                       receive line), p50 / p99, and its median share of the receiver's time for
//                       the push (its `ms`)
// And mode custom at the same rates, side by side: the same pushes answered `success`.
// Bounded: every phase has a message count and a deadline; the suite takes about a minute.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMockWeChat } from '../src/dev/mock-wechat/index.js';
import { percentile } from '../src/dev/simulator/summarize.js';
import { simulate } from '../src/dev/simulator/simulate.js';
import { startWxgate, type WxgateProcess } from '../src/dev/simulator/wxgate-process.js';
import { deletePrefix } from './lib/redis-cleanup.js';
import { gatewayEnv, REDIS_URL } from './lib/gateway-env.js';

const ACCOUNT = { appid: 'wxbenchpassive01', token: 'benchtoken', aesKey: 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG' };
const RATES = [100, 300, 600];
const SECONDS = 8;

export interface PassivePhase {
  readonly replyMode: 'passive' | 'custom';
  readonly rate: number;
  readonly pushes: number;
  /** Pushes started per second, achieved. */
  readonly pushesPerSecond: number;
  /** Share of pushes answered with the reply, 0–1 (custom: 0). */
  readonly passiveShare: number;
  /** Deliveries WeChat would count as 请求超时. */
  readonly requestTimeouts: number;
  readonly answerP50: number;
  readonly answerP99: number;
  /** Receive lines with a hand-over (passive only). */
  readonly handOverP50?: number;
  readonly handOverP99?: number;
  /** Median of handOverMs / ms over the pushes answered passively. */
  readonly handOverShare?: number;
  /** The receiver's own `waitMs` for the reply, p50 / p99. */
  readonly waitP50?: number;
  readonly waitP99?: number;
}

export interface PassiveBench {
  readonly waitMs: number;
  readonly phases: readonly PassivePhase[];
  /** The machine's 1-minute load average before and after: other work on the two cores shows here. */
  readonly loadAverage: readonly [number, number];
}

const round1 = (n: number) => Math.round(n * 10) / 10;
const sorted = (xs: number[]) => xs.sort((a, b) => a - b);

async function runMode(replyMode: 'passive' | 'custom', waitMs: number): Promise<PassivePhase[]> {
  const prefix = `wxbench-passive-${randomBytes(4).toString('hex')}`;
  const dir = mkdtempSync(join(tmpdir(), 'wxgate-bench-passive-'));
  const mock = createMockWeChat({}, { appsecrets: 'any' });
  const mockServer = await mock.listen(0, '127.0.0.1');
  const env = { ...gatewayEnv({ prefix, dir, apiBase: mockServer.url, account: ACCOUNT }), WECHAT_REPLY_MODE: replyMode, WXGATE_PASSIVE_WAIT_MS: String(waitMs), WXGATE_OUTBOUND_RATE: '5000', LOG_LEVEL: 'info' };
  const serveLog = join(dir, 'serve.log');
  let procs: WxgateProcess[] = [];
  const phases: PassivePhase[] = [];
  try {
    const worker = await startWxgate({ command: 'worker', env, logFile: join(dir, 'worker.log') });
    procs = [await startWxgate({ command: 'serve', env, logFile: serveLog }), worker];
    const url = `${procs[0]!.url}/wechat`;
    await simulate({ ...ACCOUNT, url, mode: 'aes', count: 300, rate: 150, users: 300, concurrency: 500, prebuild: true }); // warm-up
    for (const rate of RATES) {
      const count = rate * SECONDS;
      const openids = new Set<string>();
      const s = await simulate({ ...ACCOUNT, url, mode: 'aes', count, rate, users: count, concurrency: Math.max(200, rate * 6), maxDurationMs: (SECONDS + 2) * 1000, maxDeliveries: 1, prebuild: true, onMessage: (r) => openids.add(r.openid) });
      // The answer times are the simulator's; the receiver's figures come from its log, read once it is flushed.
      phases.push({ replyMode, rate, pushes: s.messages, pushesPerSecond: s.messagesPerSecond, passiveShare: Math.round((s.passiveReplies / Math.max(1, s.messages)) * 1000) / 1000, requestTimeouts: s.alerts.find((a) => a.id === 'request_timeout')?.count ?? 0, answerP50: s.latencyMs?.p50 ?? 0, answerP99: s.latencyMs?.p99 ?? 0, openids } as PassivePhase & { openids: Set<string> });
    }
  } finally {
    for (const p of procs) await p.stop();
    await mockServer.close();
    await deletePrefix(REDIS_URL, prefix);
  }
  const lines = readFileSync(serveLog, 'utf8')
    .split('\n')
    .filter((l) => l.includes('"layer":"receive"') && l.includes('"openid"'))
    .map((l) => JSON.parse(l) as { openid?: string; answer?: string; handOverMs?: number; replyWaitMs?: number; ms: number });
  rmSync(dir, { recursive: true, force: true });
  return phases.map((p) => {
    const { openids, ...phase } = p as PassivePhase & { openids: Set<string> };
    if (replyMode === 'custom') return phase;
    const mine = lines.filter((l) => l.openid !== undefined && openids.has(l.openid));
    const handed = mine.filter((l) => l.answer === 'passive' && l.handOverMs !== undefined);
    const handOver = sorted(handed.map((l) => l.handOverMs!));
    const waits = sorted(mine.map((l) => l.replyWaitMs ?? 0));
    return {
      ...phase,
      handOverP50: round1(percentile(handOver, 0.5)),
      handOverP99: round1(percentile(handOver, 0.99)),
      handOverShare: Math.round(percentile(sorted(handed.map((l) => l.handOverMs! / Math.max(0.001, l.ms))), 0.5) * 1000) / 1000,
      waitP50: round1(percentile(waits, 0.5)),
      waitP99: round1(percentile(waits, 0.99)),
    };
  });
}

export async function benchPassive({ waitMs = 4000 }: { waitMs?: number } = {}): Promise<PassiveBench> {
  const phases: PassivePhase[] = [];
  const before = Math.round(loadavg()[0]! * 100) / 100;
  for (const mode of ['passive', 'custom'] as const) {
    for (const p of await runMode(mode, waitMs)) {
      console.log(`${mode.padEnd(8)} at ${p.rate}/s: ${p.pushes} pushes (${p.pushesPerSecond}/s), passive ${(p.passiveShare * 100).toFixed(1)} %, 请求超时 ${p.requestTimeouts}, answer p50 ${p.answerP50} p99 ${p.answerP99} ms${p.handOverP50 !== undefined ? `, hand-over p50 ${p.handOverP50} p99 ${p.handOverP99} ms (share ${p.handOverShare})` : ''}`);
      phases.push(p);
    }
  }
  return { waitMs, phases, loadAverage: [before, Math.round(loadavg()[0]! * 100) / 100] };
}

export function passiveTable(r: PassiveBench): string {
  const byRate = (mode: string, rate: number) => r.phases.find((p) => p.replyMode === mode && p.rate === rate);
  return [
    `\`wxgate serve\` + \`wxgate worker\` (two processes), safe mode, the built-in echo handler, WXGATE_PASSIVE_WAIT_MS=${r.waitMs}; the simulator pushes at a constant rate for ${SECONDS} s per rate (one delivery each), on the same two cores. Answer time: push sent → whole answer, in the simulator. Hand-over: the worker's publish → the receiver holding the reply (handOverMs), and its median share of the receiver's time for the push. Mode custom: the same pushes answered \`success\`, side by side. Load average (1 min) ${r.loadAverage[0]} before, ${r.loadAverage[1]} after.`,
    '',
    '| rate /s | pushes/s achieved | answered passively | 请求超时 | answer p50 / p99 ms | hand-over p50 / p99 ms | hand-over share | receiver wait p50 / p99 ms | custom: answer p50 / p99 ms |',
    '|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...r.phases
      .filter((p) => p.replyMode === 'passive')
      .map((p) => {
        const c = byRate('custom', p.rate);
        return `| ${p.rate} | ${p.pushesPerSecond} | ${(p.passiveShare * 100).toFixed(1)} % | ${p.requestTimeouts} | ${p.answerP50} / ${p.answerP99} | ${p.handOverP50} / ${p.handOverP99} | ${((p.handOverShare ?? 0) * 100).toFixed(1)} % | ${p.waitP50} / ${p.waitP99} | ${c ? `${c.answerP50} / ${c.answerP99}` : '—'} |`;
      }),
  ].join('\n');
}
