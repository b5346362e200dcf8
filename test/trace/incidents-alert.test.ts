// `wxgate alert` on staged incidents (test/fixtures/incidents, scripts/stage-incidents.ts), with
// the alerts WeChat would have sent for them, in the forms engineers paste them (issue 19).
import { describe, expect, it } from 'vitest';
import { explainAlert } from '../../src/trace/alert.js';
import { incidentAlert, incidentFacts, incidentSources } from './incidents.js';

const explain = (incident: string, alert: string, options: { appid?: string } = {}) => explainAlert(incidentAlert(incident, alert), incidentSources(incident), options);
const item = (r: Awaited<ReturnType<typeof explain>>, id: string) => r.checklist.find((c) => c.id === id)!;

describe('alert: wxgate stopped for 20 s (receiver-stopped)', () => {
  const facts = incidentFacts('receiver-stopped');

  it('blames the missing receiver, and says wxgate was restarting, from its own lines', async () => {
    const r = await explain('receiver-stopped', 'response-failure.txt');
    expect(r.analysis.verdict.layer).toBe('access: upstream unreachable');
    expect(r.analysis.verdict.detail).toMatch(/wxgate was restarting \d\d:\d\d:\d\d–\d\d:\d\d:\d\d/);
    const [restart] = r.analysis.context.restarts;
    expect(restart!.from).toBeGreaterThanOrEqual(facts.marks.stop! - 1000);
    expect(restart!.to).toBeLessThanOrEqual(facts.marks.started! + 1000);
    expect(restart!.died).toBe(false);
  });

  it('counts the pushes nginx alone logged as of unknown type, not as the sample\'s type', async () => {
    const r = await explain('receiver-stopped', 'response-failure.txt');
    const c = r.analysis.counts;
    expect(c.unknownType).toBe(c.nginxOnly);
    expect(c.unknownType).toBeGreaterThan(50);
    const top = r.analysis.failures[0]!;
    expect(top.types).toEqual({ 'unknown type': top.count });
    // Pushes of the other six types that reached a receiver are not folded into the sample's type.
    expect(c.otherTypes).toBeGreaterThan(0);
    expect(c.atReceiver).toBeLessThan(c.deliveries);
  });

  it('reads nginx\'s error log: the refused connections', async () => {
    const r = await explain('receiver-stopped', 'response-failure.txt');
    const refused = r.analysis.context.nginxErrors.find((n) => n.code === 'upstream_refused')!;
    expect(refused.count).toBe(r.analysis.counts.gatewayErrors);
    expect(item(r, 'upstream').answer).toMatch(/^no: \d+ pushes answered 502\/503\/504 by nginx; nginx's error log: \d+ × connection refused/);
  });

  it('shows the outage\'s shape per minute: when the 502s began and ended', async () => {
    const r = await explain('receiver-stopped', 'response-failure.txt');
    const outage = r.analysis.shape.causes.find((c) => c.cause === 'access: upstream unreachable')!;
    expect(outage.first).toBeGreaterThanOrEqual(facts.marks.stop! - 1000);
    expect(outage.last).toBeLessThanOrEqual(facts.marks.started! + 1000);
    const perMinute = r.analysis.shape.minutes.reduce((n, m) => n + (m.counts['access: upstream unreachable'] ?? 0), 0);
    expect(perMinute).toBe(outage.count);
  });

  it('an alert for another account: says these logs hold none of its lines', async () => {
    const r = await explain('receiver-stopped', 'other-appid.txt');
    expect(r.analysis.verdict.layer).toBe('logs: no lines for this appid');
    expect(r.analysis.account).toMatchObject({ appid: 'wx7c2e9a4b1d3f5e60', inLogs: false, seen: ['wx3f8a6c1d2e4b5a79'] });
    expect(r.checklist.filter((c) => c.answered).map((c) => c.id)).toEqual(['answer']);
  });

  it('--appid reads the account named instead of the alert\'s', async () => {
    const r = await explain('receiver-stopped', 'other-appid.txt', { appid: 'wx3f8a6c1d2e4b5a79' });
    expect(r.analysis.verdict.layer).toBe('access: upstream unreachable');
    expect(r.analysis.account).toMatchObject({ from: 'option', alertAppid: 'wx7c2e9a4b1d3f5e60' });
  });

  it('an alert for a window the logs do not cover: says so, with the span they cover', async () => {
    const r = await explain('receiver-stopped', 'a-day-later.txt');
    expect(r.analysis.verdict.layer).toBe('logs: window not covered');
    expect(r.analysis.verdict.detail).toMatch(/the logs cover 2026-\d\d-\d\d \d\d:\d\d:\d\d → /);
    expect(r.analysis.verdict.layer).not.toMatch(/network/);
  });
});

describe('alert: wxgate frozen for 7 s (receiver-frozen)', () => {
  it('pasted as 回应失败: the stalled receiver, and the checklist does not say "no 504"', async () => {
    const r = await explain('receiver-frozen', 'response-failure.txt');
    expect(r.analysis.verdict.layer).toMatch(/^receive/);
    expect(r.analysis.counts.stalled).toBeGreaterThan(0);
    expect(item(r, 'upstream').answer).toMatch(/^no: \d+ pushes answered 502\/503\/504 by nginx; nginx's error log: \d+ × upstream timed out/);
    expect(item(r, "running").answer).toMatch(/^no: .*\d+ pushes waited seconds on a process that was not running/);
  });

  it('pasted as 請求超時 (Traditional labels): the same evidence, not network/DNS', async () => {
    const r = await explain('receiver-frozen', 'request-timeout.txt');
    expect(r.kind.id).toBe('request_timeout');
    expect(r.analysis.verdict.layer).toMatch(/^receive/);
    expect(r.analysis.verdict.detail).toMatch(/no 请求超时 in our logs, but/);
  });
});

describe('alert: nginx frozen for 7 s (nginx-frozen), pasted on one line with two spaces', () => {
  it('names nginx: WeChat had given up before nginx read the requests', async () => {
    const r = await explain('nginx-frozen', 'request-timeout.txt');
    expect(r.alert.time).toBe(incidentFacts('nginx-frozen').alerts[0]!.time - (incidentFacts('nginx-frozen').alerts[0]!.time % 1000));
    expect(r.analysis.verdict.layer).toBe('access: read late');
    expect(r.analysis.counts.abandoned).toBeGreaterThan(0);
  });
});

describe('alert: two accounts, one with a wrong Token (multi-account)', () => {
  it('the wrong account\'s alert (all-Chinese date): its signature mismatches', async () => {
    const r = await explain('multi-account', 'account-b.txt');
    expect(r.analysis.verdict.layer).toBe('receive: signature_mismatch');
    expect(r.analysis.account).toMatchObject({ appid: 'wx7c2e9a4b1d3f5e60', inLogs: true });
  });

  it('the healthy account\'s alert is read from its own lines only', async () => {
    const r = await explain('multi-account', 'account-a.txt');
    expect(r.analysis.failures).toEqual([]);
    expect(r.analysis.otherFailures).toEqual([]);
    expect(r.analysis.verdict.layer).not.toMatch(/signature/);
    expect(r.analysis.reasons).toEqual({});
  });
});
