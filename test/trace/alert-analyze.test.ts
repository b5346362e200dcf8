import { describe, expect, it } from 'vitest';
import { alertWindow, analyzeAlert } from '../../src/trace/alert-analyze.js';
import { ALERT_KINDS, recogniseKind } from '../../src/trace/alert-kinds.js';
import { parseAlert } from '../../src/trace/alert-parse.js';
import { scanLogs } from '../../src/trace/scan.js';
import { alertText, logSources } from './fixtures.js';
import { T0, accessEvent, receiveEvent } from './events.js';

async function analyze(alertName: string, logs: string) {
  const alert = parseAlert(alertText(alertName));
  const kind = recogniseKind(alert.content, alert.raw);
  const { events, spans } = await scanLogs({ sources: logSources(logs), ...alertWindow(alert, kind) });
  return analyzeAlert(alert, kind, events, { spans });
}

describe('analyzeAlert on each kind of alert', () => {
  it('timeout with nginx slow and the receiver quick: access/network', async () => {
    const a = await analyze('request-timeout-access', 'request-timeout-access');
    expect(a.verdict.layer).toBe('access/network');
    expect(a.filter).toMatchObject({ event: 'UnSubscribe' });
    expect(a.counts).toMatchObject({ deliveries: 3, atNginx: 3, atReceiver: 3, answered: 1, slow: 2 });
  });

  it('timeout with the receiver slow in enqueue: receive: enqueue, and the sample\'s timeline', async () => {
    const a = await analyze('request-timeout-enqueue', 'request-timeout-enqueue');
    expect(a.verdict.layer).toBe('receive: enqueue');
    expect(a.counts).toMatchObject({ deliveries: 3, slow: 2, answered: 1 });
    expect(a.sample).toHaveLength(1);
    expect(a.sample[0]!.rows.map((r) => r.layer)).toEqual(['access', 'receive', 'worker', 'handler', 'send']);
    expect(a.serverAddrs).toEqual(['203.205.140.29']);
  });

  it('timeout with no line at all: network/DNS/connection', async () => {
    const a = await analyze('request-timeout-unlogged', 'quiet');
    expect(a.verdict.layer).toBe('network/DNS/connection');
    expect(a.counts.deliveries).toBe(0);
  });

  it('timeout while every logged push was fast: still before nginx', async () => {
    const alert = parseAlert(alertText('request-timeout-unlogged'));
    const a = analyzeAlert(alert, ALERT_KINDS.request_timeout, [accessEvent(), receiveEvent({ appid: 'wx3f8a6c1d2e4b5a79', msgType: 'event', event: 'subscribe' })]);
    expect(a.counts).toMatchObject({ deliveries: 1, answered: 1 });
    expect(a.verdict.layer).toBe('network/DNS/connection');
    expect(a.verdict.detail).toMatch(/answered success within 5 s/);
  });

  it('response failure refused by the receiver: the reason', async () => {
    const a = await analyze('response-failure-signature', 'response-failure-signature');
    expect(a.verdict.layer).toBe('receive: signature_mismatch');
    // Refused before parsing, so untyped, yet counted; the VIEW event is not.
    expect(a.counts).toMatchObject({ deliveries: 3, rejected: 3 });
    expect(a.reasons).toEqual({ signature_mismatch: 3 });
  });

  it('response failure with no receiver behind nginx: access: upstream unreachable', async () => {
    const a = await analyze('response-failure-nginx', 'response-failure-nginx');
    expect(a.verdict.layer).toBe('access: upstream unreachable');
    expect(a.counts).toMatchObject({ deliveries: 2, atNginx: 2, atReceiver: 0, nginxOnly: 2, unreached: 2 });
  });

  it('response failure refused by nginx itself (body too large): access: HTTP 413', () => {
    const alert = parseAlert(alertText('response-failure-nginx'));
    const a = analyzeAlert(alert, ALERT_KINDS.response_failure, [accessEvent({ status: 413, upstreamStatus: [], end: T0 + 1000 })]);
    expect(a.verdict.layer).toBe('access: HTTP 413 (body_too_large)');
  });

  it.each([['connection-timeout'], ['dns-failure']])('%s: network/DNS/connection', async (name) => {
    const a = await analyze(name, 'quiet');
    expect(a.verdict.layer).toBe('network/DNS/connection');
    expect(a.verdict.detail).toMatch(/no .* reached nginx/);
  });

  it('connection timeout while some pushes got through: partial', () => {
    const alert = parseAlert(alertText('connection-timeout'));
    const a = analyzeAlert(alert, ALERT_KINDS.connection_timeout, [accessEvent(), receiveEvent({ appid: 'wx3f8a6c1d2e4b5a79', msgType: 'event', event: 'subscribe' })]);
    expect(a.verdict.layer).toBe('network/DNS/connection');
    expect(a.verdict.detail).toMatch(/partial/);
  });

  it('MarkFail: the failures before it, and the pause', async () => {
    const a = await analyze('markfail', 'markfail');
    expect(a.verdict.layer).toBe('receive: enqueue');
    expect(a.failures[0]).toMatchObject({ layer: 'receive: enqueue', count: 15 });
    expect(a.gap!.ms).toBe(75_000);
  });

  it('third-party component_verify_ticket timeout: filtered by InfoType', async () => {
    const a = await analyze('ticket-timeout', 'ticket-timeout');
    expect(a.filter).toMatchObject({ infoType: 'component_verify_ticket' });
    expect(a.verdict.layer).toBe('receive: spool');
    expect(a.spooled).toBe(1);
  });

  it('ignores lines outside the window and pushes of other types', () => {
    const alert = parseAlert(alertText('request-timeout-access'));
    const early = accessEvent({ reqId: 'old', ms: 6000, end: T0 - 3_600_000 });
    const other = receiveEvent({ reqId: 'txt', ms: 6000, msgType: 'text' });
    const a = analyzeAlert(alert, ALERT_KINDS.request_timeout, [early, other]);
    expect(a.counts.deliveries).toBe(0);
  });

  it('ignores health checks and URL verification', () => {
    const alert = parseAlert('时间: 2014-12-01 20:12:00\n内容: 请求超时\n');
    const get = accessEvent({ reqId: 'g', access: { method: 'GET', path: '/wechat', upstreamAddrs: [], upstreamStatuses: [] } });
    const verified = receiveEvent({ reqId: 'v', outcome: 'verified', msgType: undefined, stamp: undefined });
    expect(analyzeAlert(alert, ALERT_KINDS.request_timeout, [get, verified]).counts.deliveries).toBe(0);
  });
});

describe('alertWindow', () => {
  it('is the 5 minutes from the alert time, with slack; MarkFail looks back 5 more', () => {
    const alert = parseAlert('时间: 2014-12-01 20:12:00');
    expect(alertWindow(alert, ALERT_KINDS.request_timeout)).toEqual({ from: T0 - 60_000, to: T0 + 360_000 });
    expect(alertWindow(alert, ALERT_KINDS.markfail, { slackMs: 0 })).toEqual({ from: T0 - 300_000, to: T0 + 300_000 });
  });
});
