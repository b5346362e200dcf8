// A 100,000-recipient campaign through the whole loop on one machine: `wxgate serve` (receiver
// + internal API) and `wxgate worker` as their own processes, the mock WeChat API in this
// process (template/send with msgids and client_msg_id, delivery reports pushed back to the
// receiver in safe mode after 500 ms), real Redis and PostgreSQL. Three phases, each a fresh
// campaign of N recipients (NDJSON streamed in the request body):
//   unlimited  WXGATE_TEMPLATE_RATE unset: the time to accept the list, the fastest send rate
//   rate       WXGATE_TEMPLATE_RATE set to about half of that: the rate held, within 5 %
//   crash      rate unset, two workers; the same campaign submitted twice (one Idempotency-Key)
//              and one worker killed (SIGKILL) mid-run, then started again: still N sends at
//              the mock, none to an openid twice
// Each phase also reads the RSS of serve and worker (growth from the phase's start), the rows
// in their final states, and delivered/blocked against the reports the mock pushed.
// Bounded: every wait has a deadline; the whole suite takes a few minutes.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { createMockWeChat, type MockWeChat } from '../src/dev/mock-wechat/index.js';
import { freePort, startWxgate, type WxgateProcess } from '../src/dev/simulator/wxgate-process.js';
import { gatewayEnv, REDIS_URL } from './lib/gateway-env.js';
import { deletePrefix } from './lib/redis-cleanup.js';

const ACCOUNT = { appid: 'wxbenchcamp00001', token: 'benchtoken', aesKey: 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG' };
const BEARER = 'bench-internal-token-0123456789';
const DATABASE_URL = process.env.WXGATE_BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const N = Number(process.env.WXGATE_BENCH_CAMPAIGN_RECIPIENTS ?? 100_000);
const REPORT_DELAY_MS = 500;
const BLOCKED_EVERY = 100; // 1 % of users refuse the account's messages: their report says so
const TEMPLATE_PATH = '/cgi-bin/message/template/send';

export interface PhaseResult {
  phase: string;
  recipients: number;
  configuredRate: number | null;
  acceptMs: number;
  /** Accepted sends per second at the mock, between the 10th and the 90th percentile send. */
  sendsPerSecond: number;
  /** sendsPerSecond / configuredRate. */
  rateRatio: number | null;
  firstToLastSendS: number;
  mock: { accepted: number; duplicatesAbsorbed: number; repeatedOpenids: number; reports: Record<string, number> };
  rows: { total: number; final: number; byStatus: Record<string, number> };
  reportsMatch: boolean;
  rssMb: Record<string, { start: number; peak: number; growth: number }>;
  /** V8 heap and external memory at the RSS sample with the largest heap (from each process's /metrics). */
  heapMb: Record<string, { heapTotal: number; heapUsed: number; external: number }>;
  /** CPU seconds used during the phase, per process (the 2 cores are shared by all of them). */
  cpuS: Record<string, number>;
  killed?: { atSent: number; workerRestarted: boolean };
  secondSubmission?: { queued: number; sameCampaign: boolean };
}

export interface CampaignBench {
  recipients: number;
  machine: string;
  phases: PhaseResult[];
}

const openid = (phase: string, i: number) => `o${phase}${String(i).padStart(7, '0')}${'b'.repeat(16)}`;

function ndjson(phase: string): Readable {
  return Readable.from(
    (function* () {
      yield `${JSON.stringify({ template_id: 'TPL_BENCH', url: 'https://example.com/order', data: { first: { value: '您的订单已发货' }, remark: { value: '感谢您的支持' } } })}\n`;
      for (let i = 0; i < N; i += 1000) {
        let chunk = '';
        for (let j = i; j < Math.min(N, i + 1000); j++) chunk += `${JSON.stringify({ touser: openid(phase, j), data: { keyword1: { value: `NO.${j}` } } })}\n`;
        yield chunk;
      }
    })(),
  );
}

function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Math.round(Number(m[1]) / 1024) : 0;
}

function cpuTicks(pid: number): number {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return Number(f[11]) + Number(f[12]);
  } catch {
    return 0;
  }
}

/** PostgreSQL's processes (postmaster and backends), by name. */
function postgresPids(): number[] {
  return readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .filter((d) => {
      try {
        return readFileSync(`/proc/${d}/comm`, 'utf8').trim() === 'postgres';
      } catch {
        return false;
      }
    })
    .map(Number);
}

function cpuMeter(procs: () => Record<string, number[]>) {
  const start = new Map<number, number>();
  const totals: Record<string, number> = {};
  const sample = (final: boolean) => {
    for (const [name, pids] of Object.entries(procs())) {
      for (const pid of pids) {
        const t = cpuTicks(pid);
        if (!start.has(pid)) start.set(pid, t);
        if (final) totals[name] = (totals[name] ?? 0) + (t - start.get(pid)!) / 100;
      }
    }
  };
  sample(false);
  const timer = setInterval(() => sample(false), 1000);
  return () => {
    clearInterval(timer);
    sample(true);
    return Object.fromEntries(Object.entries(totals).map(([k, v]) => [k, Math.round(v * 10) / 10]));
  };
}

/** Peak V8 heap figures from a process's /metrics (prom-client's default metrics). */
function heapSampler(urls: Record<string, string>) {
  const peak: Record<string, { heapTotal: number; heapUsed: number; external: number }> = {};
  const metric = (text: string, name: string) => Math.round(Number(new RegExp(`^${name} (\\S+)`, 'm').exec(text)?.[1] ?? 0) / 1048576);
  const take = async () => {
    for (const [name, url] of Object.entries(urls)) {
      try {
        const text = await (await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(2000) })).text();
        const v = { heapTotal: metric(text, 'wxgate_nodejs_heap_size_total_bytes'), heapUsed: metric(text, 'wxgate_nodejs_heap_size_used_bytes'), external: metric(text, 'wxgate_nodejs_external_memory_bytes') };
        if (!peak[name] || v.heapTotal > peak[name]!.heapTotal) peak[name] = v;
      } catch {
        // gone or busy: the next sample
      }
    }
  };
  const timer = setInterval(() => void take(), 2000);
  return () => {
    clearInterval(timer);
    return peak;
  };
}

function rssSampler(procs: Record<string, () => number | undefined>) {
  const samples: Record<string, { start: number; peak: number }> = {};
  const take = () => {
    for (const [name, pidOf] of Object.entries(procs)) {
      const pid = pidOf();
      if (!pid) continue;
      try {
        const v = rssMb(pid);
        const s = (samples[name] ??= { start: v, peak: v });
        s.peak = Math.max(s.peak, v);
      } catch {
        // the process is gone (the crash phase kills a worker)
      }
    }
  };
  take();
  const timer = setInterval(take, 500);
  return () => {
    clearInterval(timer);
    take();
    return Object.fromEntries(Object.entries(samples).map(([k, s]) => [k, { ...s, growth: s.peak - s.start }]));
  };
}

async function submit(serve: WxgateProcess, phase: string, key: string): Promise<{ ms: number; body: { campaign_id: string; recipients: number; queued: number } }> {
  const started = performance.now();
  const res = await fetch(`${serve.url}/internal/v1/apps/${ACCOUNT.appid}/campaigns`, {
    method: 'POST',
    body: Readable.toWeb(ndjson(phase)) as ReadableStream,
    duplex: 'half',
    headers: { authorization: `Bearer ${BEARER}`, 'content-type': 'application/x-ndjson', 'idempotency-key': key },
  } as RequestInit & { duplex: 'half' });
  const body = (await res.json()) as { campaign_id: string; recipients: number; queued: number };
  if (res.status !== 202) throw new Error(`campaign not accepted: ${res.status} ${JSON.stringify(body)}`);
  return { ms: Math.round(performance.now() - started), body };
}

async function status(serve: WxgateProcess, id: string): Promise<{ counts: Record<string, number>; state: string; sent_total: number }> {
  const res = await fetch(`${serve.url}/internal/v1/apps/${ACCOUNT.appid}/campaigns/${id}`, { headers: { authorization: `Bearer ${BEARER}` } });
  return (await res.json()) as { counts: Record<string, number>; state: string; sent_total: number };
}

async function until<T>(probe: () => Promise<T | undefined | false>, what: string, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`bench: timed out waiting for ${what}`);
    await sleep(500);
  }
}

/** Sends per second between the 10th and the 90th percentile of the accepted sends' times. */
function steadyRate(times: number[]): { perSecond: number; spanS: number } {
  const t = [...times].sort((a, b) => a - b);
  if (t.length < 10) return { perSecond: 0, spanS: 0 };
  const lo = Math.floor(t.length * 0.1);
  const hi = Math.floor(t.length * 0.9);
  const dt = (t[hi]! - t[lo]!) / 1000;
  return { perSecond: Math.round(((hi - lo) / dt) * 10) / 10, spanS: Math.round(((t[t.length - 1]! - t[0]!) / 1000) * 10) / 10 };
}

export interface PhaseSpec {
  name: string;
  rate?: number;
  crash?: boolean;
  /** Node flags for serve and the first worker (default: WXGATE_BENCH_NODE_ARGS). */
  nodeArgs?: readonly string[];
  /** More variables for serve and the workers (a setting compared side by side). */
  env?: Record<string, string>;
}

export async function runPhase(mock: MockWeChat, mockUrl: string, spec: PhaseSpec, dir: string): Promise<PhaseResult> {
  const prefix = `wxbench-camp-${randomBytes(4).toString('hex')}`;
  const schema = `wxbench_${randomBytes(4).toString('hex')}`;
  const db = new pg.Pool({ connectionString: DATABASE_URL, max: 2, options: `-c search_path=${schema}` });
  const env = {
    ...gatewayEnv({ prefix, dir, apiBase: mockUrl, account: ACCOUNT }),
    WXGATE_INTERNAL_TOKEN: BEARER,
    WXGATE_DATABASE_URL: DATABASE_URL,
    WXGATE_DATABASE_SCHEMA: schema,
    // The whole 100,000-recipient upload is one request: longer than the default 10 s allowed
    // for a request's body (README, the message centre).
    WXGATE_REQUEST_TIMEOUT_MS: '300000',
    ...(spec.rate ? { WXGATE_TEMPLATE_RATE: String(spec.rate) } : {}),
    ...(process.env.WXGATE_TEMPLATE_CONCURRENCY ? { WXGATE_TEMPLATE_CONCURRENCY: process.env.WXGATE_TEMPLATE_CONCURRENCY } : {}),
    ...spec.env,
  };
  const nodeArgs = spec.nodeArgs ?? process.env.WXGATE_BENCH_NODE_ARGS?.split(' ').filter(Boolean) ?? [];
  mock.state.reset();
  const serve = await startWxgate({ command: 'serve', env, logFile: join(dir, `${spec.name}-serve.log`), nodeArgs });
  const metricsPort = await freePort();
  const workers = [await startWxgate({ command: 'worker', env: { ...env, WXGATE_METRICS_PORT: String(metricsPort) }, logFile: join(dir, `${spec.name}-worker-1.log`), nodeArgs })];
  if (spec.crash) workers.push(await startWxgate({ command: 'worker', env, logFile: join(dir, `${spec.name}-worker-2.log`) }));
  mock.state.templates.configure({
    blocked: Array.from({ length: Math.floor(N / BLOCKED_EVERY) }, (_, i) => openid(spec.name, i * BLOCKED_EVERY)),
    reports: { url: `${serve.url}/wechat`, delayMs: REPORT_DELAY_MS, concurrency: 16, accounts: { [ACCOUNT.appid]: { token: ACCOUNT.token, encodingAESKey: ACCOUNT.aesKey, mode: 'safe' } } },
  });
  const stopHeap = heapSampler({ serve: serve.url, worker: `http://127.0.0.1:${metricsPort}` });
  const own = process.cpuUsage();
  const stopCpu = cpuMeter(() => ({ serve: [serve.child.pid ?? 0], workers: workers.map((w) => w.child.pid ?? 0), postgres: postgresPids() }));
  const stopRss = rssSampler({ serve: () => serve.child.pid, worker: () => workers[0]!.child.pid, ...(spec.crash ? { 'worker 2 (killed, restarted)': () => workers[1]!.child.pid } : {}) });
  try {
    const key = `bench-${spec.name}`;
    const first = await submit(serve, spec.name, key);
    const id = first.body.campaign_id;
    console.log(`  ${spec.name}: accepted ${first.body.recipients} in ${first.ms} ms`);
    let killed: PhaseResult['killed'];
    let secondSubmission: PhaseResult['secondSubmission'];
    if (spec.crash) {
      const atSent = await until(async () => {
        const n = mock.state.templates.stats().accepted;
        return n >= N * 0.3 && n;
      }, '30 % sent', 600_000);
      workers[1]!.child.kill('SIGKILL');
      await sleep(200);
      const again = await submit(serve, spec.name, key);
      secondSubmission = { queued: again.body.queued, sameCampaign: again.body.campaign_id === id };
      workers[1] = await startWxgate({ command: 'worker', env, logFile: join(dir, `${spec.name}-worker-2b.log`) });
      killed = { atSent, workerRestarted: true };
      console.log(`  ${spec.name}: killed a worker at ${atSent} sent; second submission queued ${again.body.queued}`);
    }
    await until(async () => {
      const s = await status(serve, id);
      return s.counts.queued === 0 && s.counts.sent === 0 && s;
    }, 'every record final', 900_000);
    await mock.state.templates.drained();
    const rows = await db.query<{ status: string; n: string }>('SELECT status, count(*) AS n FROM sends WHERE campaign_id = $1 GROUP BY status', [id]);
    const byStatus = Object.fromEntries(rows.rows.map((r) => [r.status, Number(r.n)]));
    const total = Object.values(byStatus).reduce((a, b) => a + b, 0);
    const stats = mock.state.templates.stats();
    const times = mock.state.sent({ path: TEMPLATE_PATH }).map((r) => r.at);
    const { perSecond, spanS } = steadyRate(times);
    const reportsMatch = (byStatus.delivered ?? 0) === (stats.reports.byStatus.success ?? 0) && (byStatus.blocked ?? 0) === (stats.reports.byStatus['failed:user block'] ?? 0);
    return {
      phase: spec.name,
      recipients: N,
      configuredRate: spec.rate ?? null,
      acceptMs: first.ms,
      sendsPerSecond: perSecond,
      rateRatio: spec.rate ? Math.round((perSecond / spec.rate) * 1000) / 1000 : null,
      firstToLastSendS: spanS,
      mock: { accepted: stats.accepted, duplicatesAbsorbed: stats.duplicates, repeatedOpenids: stats.repeatedOpenids, reports: stats.reports.byStatus },
      rows: { total, final: (byStatus.delivered ?? 0) + (byStatus.blocked ?? 0) + (byStatus.failed ?? 0), byStatus },
      reportsMatch,
      rssMb: stopRss(),
      heapMb: stopHeap(),
      cpuS: { ...stopCpu(), 'bench (mock, loader)': Math.round(((process.cpuUsage(own).user + process.cpuUsage(own).system) / 1e6) * 10) / 10 },
      ...(killed ? { killed } : {}),
      ...(secondSubmission ? { secondSubmission } : {}),
    };
  } finally {
    stopRss();
    stopHeap();
    for (const w of workers) await w.stop();
    await serve.stop();
    await db.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => undefined);
    await db.end();
    await deletePrefix(REDIS_URL, prefix);
  }
}

export async function benchCampaign(): Promise<CampaignBench> {
  const mock = createMockWeChat({}, { appsecrets: 'any', maxRecorded: N + 1000 });
  const listening = await mock.listen();
  const dir = mkdtempSync(join(tmpdir(), 'wxgate-bench-campaign-'));
  const phases: PhaseResult[] = [];
  try {
    // WXGATE_BENCH_CAMPAIGN_PHASES=unlimited,… runs some phases only (while working on one).
    const only = process.env.WXGATE_BENCH_CAMPAIGN_PHASES?.split(',');
    const want = (p: string) => only === undefined || only.includes(p);
    const unlimited = await runPhase(mock, listening.url, { name: 'unlimited' }, dir);
    phases.push(unlimited);
    // About half the fastest rate, rounded: a rate the machine can hold with room to spare.
    const rate = Math.max(10, Math.round(unlimited.sendsPerSecond / 2 / 10) * 10);
    if (want('rate')) phases.push(await runPhase(mock, listening.url, { name: 'rate', rate }, dir));
    if (want('crash')) phases.push(await runPhase(mock, listening.url, { name: 'crash', crash: true }, dir));
  } finally {
    await listening.close();
    rmSync(dir, { recursive: true, force: true });
  }
  return { recipients: N, machine: `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}`, phases };
}

/** Why a run is not the recorded one: fewer recipients or only some phases (printed, not recorded). */
export function campaignSmoke(r: CampaignBench): string[] {
  const missing = ['unlimited', 'rate', 'crash'].filter((p) => !r.phases.some((x) => x.phase === p));
  return [...(r.recipients < 100_000 ? [`${r.recipients} recipients, fewer than 100,000`] : []), ...(missing.length > 0 ? [`without the phase ${missing.join(', ')}`] : [])];
}

export function campaignTable(r: CampaignBench): string {
  const rows = r.phases.map((p) => {
    const rss = Object.entries(p.rssMb).map(([k, v]) => `${k} +${v.growth} (${v.start}→${v.peak})`).join('; ');
    return `| ${p.phase} | ${p.configuredRate ?? 'unset'} | ${p.acceptMs} | ${p.sendsPerSecond}${p.rateRatio !== null ? ` (${p.rateRatio}×)` : ''} | ${p.firstToLastSendS} | ${p.mock.accepted} | ${p.mock.repeatedOpenids} | ${p.mock.duplicatesAbsorbed} | ${p.rows.total} / ${p.rows.final} | ${p.reportsMatch ? 'yes' : 'NO'} | ${rss} |`;
  });
  const crash = r.phases.find((p) => p.phase === 'crash');
  return [
    `${r.recipients.toLocaleString('en-US')} recipients per phase, NDJSON streamed in one request; \`wxgate serve\` and \`wxgate worker\` as their own processes; the mock WeChat API in the bench process pushes each delivery report (safe mode) ${REPORT_DELAY_MS} ms after the send; 1 % of users blocked. One run: no paired rounds (a phase takes minutes).`,
    '',
    '| phase | WXGATE_TEMPLATE_RATE | accept ms | sends/s (10th–90th percentile send) | first→last send s | sends at the mock | openids sent twice | repeats absorbed by client_msg_id | rows / in a final state | delivered and blocked = mock reports | RSS growth MB (start→peak) |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---|',
    ...rows,
    '',
    crash?.killed
      ? `Crash phase: a worker was killed (SIGKILL) at ${crash.killed.atSent.toLocaleString('en-US')} sends and started again, and the same campaign was submitted a second time with the same Idempotency-Key (${crash.secondSubmission?.sameCampaign ? 'the same campaign id' : 'ANOTHER campaign id'}, ${crash.secondSubmission?.queued} recipients queued again: those still queued, whose jobs already existed).`
      : '',
  ].join('\n');
}
