import { describe, expect, it } from 'vitest';
import { run } from '../../src/cli/alert.js';
import { runCli } from './cli-io.js';
import { alertPath, alertText, logPaths } from './fixtures.js';
import { incidentAlertPath, incidentLogs } from './incidents.js';

describe('wxgate alert', () => {
  it('explains a pasted alert from stdin', async () => {
    const r = await runCli(run, logPaths('request-timeout-access'), alertText('request-timeout-access'));
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^WeChat alert: 请求超时 — request timeout/);
    expect(r.stdout).toMatch(/arrived +3: 3 at nginx, 3 at a receiver, 0 at nginx only/);
    expect(r.stdout).toMatch(/\nVerdict: access\/network\n/);
    expect(r.stdout).toMatch(/\[x\] The IP in the alert/);
    expect(r.stdout).toMatch(/\[ \] Server load/);
  });

  it('reads the alert from a file and prints the sample message\'s timeline', async () => {
    const r = await runCli(run, ['--alert', alertPath('request-timeout-enqueue'), ...logPaths('request-timeout-enqueue')]);
    expect(r.stdout).toMatch(/Verdict: receive: enqueue/);
    expect(r.stdout).toMatch(/The alert's sample message \(OpenID oUSER1, Stamp 1417435925\)\n {2}openid oUSER1/);
  });

  it('prints JSON with --json', async () => {
    const r = await runCli(run, ['--json', ...logPaths('response-failure-nginx')], alertText('response-failure-nginx'));
    const body = JSON.parse(r.stdout);
    expect(body.kind.id).toBe('response_failure');
    expect(body.analysis.verdict.layer).toBe('access: upstream unreachable');
    expect(body.alert.raw).toBeUndefined();
    expect(body.checklist.find((c: { id: string }) => c.id === 'answer').answered).toBe(true);
  });

  it('--appid reads the account named, and says the alert named another', async () => {
    const r = await runCli(run, ['--appid', 'wx3f8a6c1d2e4b5a79', '--alert', incidentAlertPath('receiver-stopped', 'other-appid.txt'), ...incidentLogs('receiver-stopped')]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/reading {3}appid wx3f8a6c1d2e4b5a79 \(--appid; the alert names wx7c2e9a4b1d3f5e60\)/);
    expect(r.stdout).toMatch(/\nVerdict: access: upstream unreachable\n/);
    expect(r.stdout).toMatch(/\nPer minute \(\+08:00\)\n/);
  });

  it.each([
    [[], '', /give the log files/],
    [['-'], '', /stdin carries the alert/],
    [['x.log'], 'Appid: wx1\n', /no time in the alert/],
    [['--slack', 'abc', 'x.log'], '', /not a number/],
  ])('exits 2 on bad input %j', async (argv, stdin, message) => {
    const r = await runCli(run, argv as string[], stdin as string);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
  });
});
