// Stages the incidents that test/trace's incident tests read, with the real pieces: nginx with
// nginx/nginx.conf in front of `wxgate all` (safe mode) in front of the mock WeChat API, the
// simulator pushing 7 kinds of message and event as WeChat does, and then one fault per
// scenario. Each scenario's logs (nginx access and error log, wxgate's log) and the alerts
// WeChat would have sent, written from what the simulator saw, go to
// test/fixtures/incidents/<scenario>/ with a facts.json naming the openids and times involved.
//
//   node --import tsx scripts/stage-incidents.ts [scenario…]     (all scenarios by default)
//
// Needs Redis at REDIS_URL (default redis://127.0.0.1:6379) and nginx; takes about 4 minutes.
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { createMockWeChat } from '../src/dev/mock-wechat/index.js';
import { simulate } from '../src/dev/simulator/simulate.js';
import type { SimKind } from '../src/dev/simulator/message-kinds.js';
import type { MessageResult, SimulateOptions } from '../src/dev/simulator/types.js';
import { startWxgate, type WxgateProcess } from '../src/dev/simulator/wxgate-process.js';
import { deleteKeys, testPrefix } from '../test/helpers/redis-keys.js';
import { findNginx, startNginx, type LocalNginx } from '../test/nginx/nginx-helper.js';
import { writeAlerts, type AlertSpec } from './incidents/alert-text.js';

const REPO = fileURLToPath(new URL('../', import.meta.url));
const OUT = join(REPO, 'test', 'fixtures', 'incidents');
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

export const ACCOUNT_A = { appid: 'wx3f8a6c1d2e4b5a79', token: 'incidenttokenA', aesKey: 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG' };
export const ACCOUNT_B = { appid: 'wx7c2e9a4b1d3f5e60', token: 'incidenttokenB', aesKey: 'ZYXWVUTSRQPONMLKJIHGFEDCBA9876543210zyxwvut' };
/** Seven kinds of background traffic, as a real account gets them. */
const BACKGROUND: SimKind[] = ['text', 'image', 'voice', 'location', 'subscribe', 'click', 'view'];

interface Stage {
  dir: string;
  nginx: LocalNginx;
  mockUrl: string;
  wxgate(): WxgateProcess;
  startWxgate(): Promise<WxgateProcess>;
  push(options: Partial<SimulateOptions> & { seconds?: number; account?: Account }): Promise<MessageResult[]>;
  fault(fault: Record<string, unknown>): Promise<void>;
  facts: Record<string, unknown>;
  mark(name: string): void;
}

type Account = typeof ACCOUNT_A;

interface Scenario {
  /** Accounts wxgate serves: one (single-account, POST /wechat) or several (/wechat/<appid>). */
  accounts: Account[];
  run(s: Stage): Promise<{ results: MessageResult[]; alerts: AlertSpec[] }>;
}

const nginxPids = (master: number): number[] => {
  const children = readdirSync('/proc')
    .filter((p) => /^\d+$/.test(p))
    .filter((p) => {
      try {
        return readFileSync(`/proc/${p}/stat`, 'utf8').split(') ')[1]!.split(' ')[1] === String(master);
      } catch {
        return false;
      }
    })
    .map(Number);
  return [master, ...children];
};

async function during(ms: number, action: () => Promise<void>): Promise<void> {
  await sleep(ms);
  await action();
}

const SCENARIOS: Record<string, Scenario> = {
  // Replies that cannot be sent (HTTP 500 five times, 45015, -1 twice then sent) and a handler
  // that takes 8 s after the ack: `trace` must tell each apart.
  'send-failures': {
    accounts: [ACCOUNT_A],
    async run(s) {
      const background = s.push({ seconds: 24 });
      await sleep(2000);
      const who = { http500: 'oIncidentSend500xxxxxxxxxxxx', errcode45015: 'oIncidentSend45015xxxxxxxxxx', errcodeMinus1: 'oIncidentSendMinus1xxxxxxxxx', slowHandler: 'oIncidentSlowHandlerxxxxxxxx' };
      s.facts.openids = who;
      await s.fault({ path: 'send', openid: who.http500, status: 500 });
      await s.fault({ path: 'send', openid: who.errcode45015, errcode: 45015, errmsg: 'response out of time limit or subscription is canceled' });
      await s.fault({ path: 'send', openid: who.errcodeMinus1, errcode: -1, errmsg: 'system error', count: 2 });
      s.mark('faults');
      const one = (openid: string, content: string) => s.push({ openid, kinds: ['text'], content, count: 1, rate: 0 });
      const singles = await Promise.all([one(who.http500, 'hello 500'), one(who.errcode45015, 'hello 45015'), one(who.errcodeMinus1, 'hello -1'), one(who.slowHandler, 'slow answer please')]);
      const results = [...(await background), ...singles.flat()];
      await sleep(2000); // the last retries of the failing sends (1 s, 2 s, 4 s, 8 s backoff)
      return { results, alerts: [] };
    },
  },
  // wxgate stopped (SIGTERM) for 20 s, then started again: nginx answers 502 meanwhile.
  'receiver-stopped': {
    accounts: [ACCOUNT_A],
    async run(s) {
      const background = s.push({ seconds: 45 });
      await during(10_000, async () => {
        s.mark('stop');
        await s.wxgate().stop();
        s.mark('stopped');
      });
      await during(20_000, async () => {
        s.mark('start');
        await s.startWxgate();
        s.mark('started');
      });
      const results = await background;
      return {
        results,
        alerts: [
          { file: 'response-failure.txt', kind: 'response_failure', account: ACCOUNT_A },
          { file: 'other-appid.txt', kind: 'response_failure', account: ACCOUNT_B },
          { file: 'a-day-later.txt', kind: 'response_failure', account: ACCOUNT_A, shiftMs: 86_400_000 },
        ],
      };
    },
  },
  // wxgate frozen (SIGSTOP) for 7 s: nginx gives up on it once its proxy_read_timeout (4800ms, nginx/nginx.conf) runs out (504).
  'receiver-frozen': {
    accounts: [ACCOUNT_A],
    async run(s) {
      const background = s.push({ seconds: 30 });
      await during(10_000, async () => {
        s.mark('freeze');
        process.kill(s.wxgate().child.pid!, 'SIGSTOP');
      });
      await during(7000, async () => {
        process.kill(s.wxgate().child.pid!, 'SIGCONT');
        s.mark('thaw');
      });
      const results = await background;
      return {
        results,
        alerts: [
          { file: 'response-failure.txt', kind: 'response_failure', account: ACCOUNT_A },
          { file: 'request-timeout.txt', kind: 'request_timeout', account: ACCOUNT_A, from: 'response_failure', form: 'traditional' },
        ],
      };
    },
  },
  // nginx itself frozen (SIGSTOP on its master and workers) for 7 s: WeChat gives up at 5 s.
  'nginx-frozen': {
    accounts: [ACCOUNT_A],
    async run(s) {
      const background = s.push({ seconds: 30 });
      let pids: number[] = [];
      await during(10_000, async () => {
        s.mark('freeze');
        pids = nginxPids(s.nginx.pid);
        for (const p of pids) process.kill(p, 'SIGSTOP');
      });
      await during(7000, async () => {
        for (const p of pids) process.kill(p, 'SIGCONT');
        s.mark('thaw');
      });
      const results = await background;
      return { results, alerts: [{ file: 'request-timeout.txt', kind: 'request_timeout', account: ACCOUNT_A, form: 'one-line' }] };
    },
  },
  // Two accounts behind one wxgate; the second one's pushes are signed with a wrong Token.
  'multi-account': {
    accounts: [ACCOUNT_A, ACCOUNT_B],
    async run(s) {
      const a = s.push({ seconds: 30, account: ACCOUNT_A });
      await sleep(5000);
      s.mark('wrong_token');
      const b = s.push({ seconds: 15, rate: 2, account: { ...ACCOUNT_B, token: 'notthetokenB' } });
      const results = [...(await a), ...(await b)];
      return {
        results,
        alerts: [
          { file: 'account-b.txt', kind: 'response_failure', account: ACCOUNT_B, form: 'chinese-date' },
          { file: 'account-a.txt', kind: 'request_timeout', account: ACCOUNT_A, from: 'response_failure', source: ACCOUNT_B },
        ],
      };
    },
  },
};

async function stage(name: string, scenario: Scenario): Promise<void> {
  const found = findNginx();
  if (!found.path) throw new Error(found.problem);
  const dir = join(OUT, name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const work = join(tmpdir(), `wxgate-incident-${name}-${process.pid}`);
  mkdirSync(work, { recursive: true });
  const prefix = testPrefix(`incident-${name}`);
  const mock = createMockWeChat({}, { appsecrets: 'any' });
  const mockServer = await mock.listen(0, '127.0.0.1');
  const multi = scenario.accounts.length > 1;
  const appsFile = join(work, 'apps.json');
  writeFileSync(appsFile, JSON.stringify(scenario.accounts.map((a) => ({ appid: a.appid, token: a.token, encodingAESKey: a.aesKey, appsecret: 'incident-secret' }))));
  const env: Record<string, string> = {
    REDIS_URL,
    WXGATE_PREFIX: prefix,
    WXGATE_SPOOL_DIR: join(work, 'spool'),
    WECHAT_API_BASE: mockServer.url,
    WXGATE_HANDLERS: join(REPO, 'scripts', 'incidents', 'handlers.ts'),
    ...(multi ? { WXGATE_APPS_FILE: appsFile } : { WECHAT_APPID: scenario.accounts[0]!.appid, WECHAT_TOKEN: scenario.accounts[0]!.token, WECHAT_ENCODING_AES_KEY: scenario.accounts[0]!.aesKey, WECHAT_APPSECRET: 'incident-secret' }),
  };
  const logs: string[] = [];
  let current: WxgateProcess | undefined;
  let port = 0;
  const start = async (): Promise<WxgateProcess> => {
    const logFile = join(work, `wxgate-${logs.length + 1}.log`);
    logs.push(logFile);
    current = await startWxgate({ command: 'all', logFile, env, port: port || undefined });
    port = current.port;
    return current;
  };
  await start();
  const nginx = await startNginx({ nginx: found.path, upstreams: [port] });
  const t0 = Date.now();
  const facts: Record<string, unknown> = { scenario: name, accounts: scenario.accounts.map((a) => a.appid), marks: {} as Record<string, number> };
  const s: Stage = {
    dir,
    nginx,
    mockUrl: mockServer.url,
    wxgate: () => current!,
    startWxgate: start,
    facts,
    mark: (m) => {
      (facts.marks as Record<string, number>)[m] = Date.now();
      console.log(`  ${name}: ${m} at +${((Date.now() - t0) / 1000).toFixed(1)} s`);
    },
    async fault(f) {
      const res = await fetch(`${mockServer.url}/__mock/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(f) });
      if (!res.ok) throw new Error(`fault ${JSON.stringify(f)}: HTTP ${res.status}`);
    },
    async push({ seconds = 10, rate = 4, account = scenario.accounts[0]!, ...rest }: Partial<SimulateOptions> & { seconds?: number; account?: Account }) {
      const results: MessageResult[] = [];
      await simulate({
        url: `http://127.0.0.1:${nginx.port}/wechat${multi ? `/${account.appid}` : ''}`,
        appid: account.appid,
        token: account.token,
        aesKey: account.aesKey,
        mode: 'aes',
        kinds: BACKGROUND,
        users: 40,
        rate,
        count: Math.round(seconds * rate),
        concurrency: 40,
        ...rest,
        onMessage: (r) => results.push(r),
      });
      return results;
    },
  };
  let outcome: Awaited<ReturnType<Scenario['run']>>;
  try {
    outcome = await scenario.run(s);
    await sleep(1500); // the last replies
  } finally {
    await current?.stop();
    process.kill(nginx.pid, 'SIGQUIT'); // graceful: nginx flushes its buffered access log
    for (let i = 0; i < 100 && alive(nginx.pid); i++) await sleep(50);
    for (const f of ['access.log', 'error.log']) if (existsSync(join(nginx.prefix, 'logs', f))) copyFileSync(join(nginx.prefix, 'logs', f), join(dir, f));
    await nginx.stop();
    await mockServer.close();
    await deleteKeys(prefix, REDIS_URL);
  }
  writeFileSync(join(dir, 'wxgate.log'), logs.map((f) => readFileSync(f, 'utf8')).join(''));
  rmSync(work, { recursive: true, force: true });
  facts.alerts = writeAlerts(dir, outcome.results, outcome.alerts);
  writeFileSync(join(dir, 'facts.json'), `${JSON.stringify(facts, null, 2)}\n`);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function main(names: string[]): Promise<void> {
  const chosen = names.length > 0 ? names : Object.keys(SCENARIOS);
  for (const name of chosen) {
    const scenario = SCENARIOS[name];
    if (!scenario) throw new Error(`no scenario "${name}": choose from ${Object.keys(SCENARIOS).join(', ')}`);
    console.log(`staging ${name}`);
    await stage(name, scenario);
  }
}

await main(process.argv.slice(2));
