// deploy/prometheus and deploy/grafana (issue 16): promtool accepts the alert rules and their
// unit tests pass, and every wxgate metric that a rule or a dashboard panel names is one that
// `wxgate all` really serves on /metrics — the guard against a rule watching a name that does
// not exist (metrics are added and renamed; a silent rule never fires).
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMockWeChat } from '../../src/dev/mock-wechat/index.js';
import { startWxgate, type WxgateProcess } from '../../src/dev/simulator/wxgate-process.js';
import { deleteKeys, REDIS_URL, testPrefix } from '../helpers/redis-keys.js';
import { TEST_SECRETS } from '../helpers/secrets.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const RULES = join(ROOT, 'deploy/prometheus/wxgate-alerts.yml');
const RULE_TESTS = join(ROOT, 'deploy/prometheus/wxgate-alerts.test.yml');
const DASHBOARD = join(ROOT, 'deploy/grafana/wxgate-dashboard.json');

function promtool(args: string[]) {
  const found = spawnSync('promtool', ['--version'], { encoding: 'utf8' });
  if (found.error) throw new Error('promtool is not installed: apt-get install prometheus (.ci/run does)');
  return spawnSync('promtool', args, { encoding: 'utf8', cwd: join(ROOT, 'deploy/prometheus') });
}

/** wxgate_… names in the rules, comments (the placeholders) left out. */
async function ruleMetrics(): Promise<Set<string>> {
  const text = (await readFile(RULES, 'utf8')).split('\n').filter((l) => !/^\s*#/.test(l)).join('\n');
  return new Set(text.match(/\bwxgate_[a-z0-9_]+/g) ?? []);
}

async function dashboardMetrics(): Promise<Set<string>> {
  const dash = JSON.parse(await readFile(DASHBOARD, 'utf8')) as { panels: { targets?: { expr: string }[] }[] };
  const exprs = dash.panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr));
  expect(exprs.length).toBeGreaterThan(10);
  return new Set(exprs.flatMap((e) => e.match(/\bwxgate_[a-z0-9_]+/g) ?? []));
}

/** The metric names /metrics declares; a histogram's series (_bucket, _sum, _count) count as its. */
function served(exposition: string): (name: string) => boolean {
  const types = new Map<string, string>();
  for (const m of exposition.matchAll(/^# TYPE (\S+) (\S+)$/gm)) types.set(m[1]!, m[2]!);
  return (name) => {
    if (types.has(name)) return true;
    const base = name.replace(/_(bucket|sum|count)$/, '');
    return base !== name && ['histogram', 'summary'].includes(types.get(base) ?? '');
  };
}

describe('Prometheus alert rules', () => {
  it('pass promtool check rules', () => {
    const r = promtool(['check', 'rules', RULES]);
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/SUCCESS: \d+ rules found/);
  });

  it('fire as their unit tests say (promtool test rules)', () => {
    const r = promtool(['test', 'rules', RULE_TESTS]);
    expect(r.status, r.stdout + r.stderr).toBe(0);
  });
});

describe('every metric the rules and the dashboard name exists on /metrics', () => {
  const prefix = testPrefix('mon');
  const mock = createMockWeChat({}, { appsecrets: 'any' });
  let spool: string;
  let gateway: WxgateProcess;
  let exposition: string;
  let closeMock: (() => Promise<void>) | undefined;

  beforeAll(async () => {
    const { url: apiBase, close } = await mock.listen();
    closeMock = close;
    spool = await mkdtemp(join(tmpdir(), 'wxgate-mon-'));
    gateway = await startWxgate({
      command: 'all',
      logFile: join(spool, 'wxgate.log'),
      env: { REDIS_URL, WXGATE_PREFIX: prefix, WXGATE_SPOOL_DIR: join(spool, 'spool'), WECHAT_APPID: 'wxmon00000000001', WECHAT_TOKEN: TEST_SECRETS.token, WECHAT_APPSECRET: TEST_SECRETS.appsecret, WECHAT_API_BASE: apiBase },
    });
    exposition = await (await fetch(`${gateway.url}/metrics`)).text();
  });
  afterAll(async () => {
    await gateway?.stop();
    await closeMock?.();
    await deleteKeys(prefix);
    if (spool) await rm(spool, { recursive: true, force: true });
  });

  it('the alert rules', async () => {
    const has = served(exposition);
    const named = [...(await ruleMetrics())];
    expect(named.length).toBeGreaterThan(8);
    expect(named.filter((n) => !has(n))).toEqual([]);
  });

  it('the Grafana dashboard', async () => {
    const has = served(exposition);
    const named = [...(await dashboardMetrics())];
    expect(named.filter((n) => !has(n))).toEqual([]);
  });

  it('the guard itself: a name that /metrics lacks is caught', () => {
    const has = served(exposition);
    expect(has('wxgate_ack_seconds_bucket')).toBe(true);
    expect(has('wxgate_redis_up')).toBe(true);
    expect(exposition).toMatch(/^wxgate_redis_up 1$/m); // Redis answers this process
    expect(has('wxgate_no_such_metric')).toBe(false);
    expect(has('wxgate_spool_depth_count')).toBe(false); // a gauge has no _count
    expect(execFileSync('promtool', ['--version'], { encoding: 'utf8' })).toMatch(/promtool/);
  });
});
