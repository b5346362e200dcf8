// The system every fault case (issue 14) drives: a redis-server of its own on its own port, the
// mock WeChat API, `wxgate serve` receivers and `wxgate worker`s as real child processes (each
// logging to its own file), one account in WECHAT_MESSAGE_MODE=compat so the load can alternate
// plaintext and safe-mode pushes, and WeChat's delivery rules (5 s timeout, 3 deliveries) from the
// simulator. A case injects its fault, then asks for the record: each delivery's answer, the
// handler runs (the workers' `handled` lines) and the replies at the mock, keyed by openid.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createMockWeChat, type MockWeChat } from '../../src/dev/mock-wechat/index.js';
import { simulate } from '../../src/dev/simulator/simulate.js';
import type { MessageResult } from '../../src/dev/simulator/types.js';
import type { DeliveryResult } from '../../src/dev/simulator/deliver.js';
import { startWxgate, type WxgateProcess } from '../../src/dev/simulator/wxgate-process.js';
import { ownRedis, type OwnRedis } from '../../test/helpers/redis-server.js';
import type { Answer, FaultRecord } from './tally.js';

export const ACCOUNT = { appid: 'wxfaultsuite0001', token: 'faulttoken', aesKey: 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG' };

export interface StackOptions {
  workDir: string;
  serves?: number;
  workers?: number;
  /** Extra redis-server arguments (`--appendonly yes`). */
  redisArgs?: string[];
  /** Extra environment for every wxgate process. */
  env?: Record<string, string>;
  log?(message: string): void;
}

export interface LoadOptions {
  rate: number;
  durationS: number;
  /** Where to push (default: the first receiver). */
  url?: string;
  /** Plain and safe mode alternate by default; one of them for a case that needs it. */
  modes?: readonly ('plain' | 'aes')[];
}

export interface FaultStack {
  readonly redis: OwnRedis;
  readonly mock: MockWeChat;
  readonly env: Record<string, string>;
  readonly serves: WxgateProcess[];
  readonly workers: WxgateProcess[];
  startServe(port?: number): Promise<WxgateProcess>;
  startWorker(): Promise<WxgateProcess>;
  /** Signed pushes at `rate` for `durationS`, WeChat's retries included; every message has its own openid. */
  load(options: LoadOptions): Promise<MessageResult[]>;
  /** Waits until every acknowledged message was handled and replied to; ms waited, or undefined at the timeout. */
  drain(results: readonly MessageResult[], timeoutMs?: number): Promise<number | undefined>;
  record(results: readonly MessageResult[]): FaultRecord;
  /** The JSON lines every process wrote so far. */
  lines(): Record<string, unknown>[];
  stop(): Promise<void>;
}

export function answerOf(d: DeliveryResult): Answer {
  if (d.status !== undefined) return d.status;
  return d.outcome === 'request_timeout' ? 'timeout' : 'reset';
}

export const isSuccess = (d: DeliveryResult) => d.outcome === 'ack' || d.outcome === 'passive';

function parseLines(file: string): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      out.push(JSON.parse(line) as Record<string, unknown>);
    } catch {
      // a line cut by kill -9: not a record
    }
  }
  return out;
}

export async function startStack({ workDir, serves = 1, workers = 2, redisArgs = [], env: extra = {}, log = () => undefined }: StackOptions): Promise<FaultStack> {
  const redis = await ownRedis({ args: redisArgs });
  await redis.start();
  const mock = createMockWeChat({}, { appsecrets: 'any' });
  const mockServer = await mock.listen(0, '127.0.0.1');
  const env: Record<string, string> = {
    REDIS_URL: redis.url,
    WXGATE_PREFIX: 'wxfault',
    WXGATE_SPOOL_DIR: join(workDir, 'spool'),
    WECHAT_APPID: ACCOUNT.appid,
    WECHAT_APPSECRET: 'fault-secret',
    WECHAT_TOKEN: ACCOUNT.token,
    WECHAT_ENCODING_AES_KEY: ACCOUNT.aesKey,
    WECHAT_MESSAGE_MODE: 'compat',
    WECHAT_API_BASE: mockServer.url,
    WXGATE_OUTBOUND_RATE: '5000',
    ...extra,
  };
  const logFiles: string[] = [];
  const stack: FaultStack = {
    redis,
    mock,
    env,
    serves: [],
    workers: [],
    async startServe(port) {
      const logFile = join(workDir, `serve-${logFiles.length}.log`);
      logFiles.push(logFile);
      const p = await startWxgate({ command: 'serve', env, logFile, port });
      stack.serves.push(p);
      return p;
    },
    async startWorker() {
      const logFile = join(workDir, `worker-${logFiles.length}.log`);
      logFiles.push(logFile);
      const p = await startWxgate({ command: 'worker', env, logFile });
      stack.workers.push(p);
      return p;
    },
    async load({ rate, durationS, url, modes = ['plain', 'aes'] }) {
      const target = url ?? `${stack.serves[0]!.url}/wechat`;
      const each = rate / modes.length;
      const count = Math.round(each * durationS);
      const runs = await Promise.all(
        modes.map((mode) => {
          const results: MessageResult[] = [];
          return simulate({ ...ACCOUNT, url: target, mode, count, rate: each, users: count, concurrency: Math.max(100, Math.ceil(each * 8)), maxDurationMs: (durationS + 5) * 1000, prebuild: true, onMessage: (r) => results.push(r) }).then(() => results);
        }),
      );
      return runs.flat();
    },
    async drain(results, timeoutMs = 60_000) {
      const acked = results.filter((r) => r.ackedOn > 0);
      const started = Date.now();
      for (;;) {
        const replied = new Set(mock.state.sent().map((s) => (s.body as { touser?: string }).touser));
        if (acked.every((r) => replied.has(r.openid))) return Date.now() - started;
        if (Date.now() - started > timeoutMs) return undefined;
        await sleep(200);
      }
    },
    record(results) {
      const mine = new Set(results.map((r) => r.openid));
      const handlerRuns: string[] = [];
      for (const line of stack.lines()) {
        if (line.layer === 'worker' && line.outcome === 'handled' && typeof line.openid === 'string' && mine.has(line.openid)) handlerRuns.push(line.openid);
      }
      const replies = mock.state
        .sent()
        .map((s) => (s.body as { touser?: string }).touser)
        .filter((t): t is string => t !== undefined && mine.has(t));
      const deliveries = results.flatMap((r) => r.deliveries.map((d) => ({ key: r.openid, answer: answerOf(d), success: isSuccess(d) })));
      return { deliveries, handlerRuns, replies };
    },
    lines: () => logFiles.flatMap(parseLines),
    async stop() {
      await Promise.all([...stack.serves, ...stack.workers].map((p) => p.stop()));
      await mockServer.close();
      await redis.stop();
      log('stack stopped');
    },
  };
  try {
    for (let i = 0; i < workers; i += 1) await stack.startWorker();
    for (let i = 0; i < serves; i += 1) await stack.startServe();
  } catch (err) {
    await stack.stop();
    throw err;
  }
  return stack;
}
