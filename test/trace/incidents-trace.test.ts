// `wxgate trace` on staged incidents (test/fixtures/incidents, scripts/stage-incidents.ts):
// the defects of issue 19 as an on-call engineer met them.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { traceLogs } from '../../src/trace/trace.js';
import { incidentFacts, incidentLogs, incidentSources } from './incidents.js';

const trace = async (incident: string, openid: string) => (await traceLogs(incidentSources(incident), { openid })).timelines;

describe('trace: replies that could not be sent (send-failures)', () => {
  const who = incidentFacts('send-failures').openids!;

  it('a send that failed five times with HTTP 500 is failed, with the status and the attempts', async () => {
    const [tl] = await trace('send-failures', who.http500!);
    expect(tl!.outcome.kind).toBe('failed');
    expect(tl!.outcome.text).toMatch(/failed at send: wechat_http_5xx \(HTTP 500\) after 5 attempts/);
    expect(tl!.outcome.text).not.toMatch(/sent/);
  });

  it('one send row per attempt, numbered, without the client\'s duplicate rows', async () => {
    const [tl] = await trace('send-failures', who.http500!);
    const sends = tl!.rows.filter((r) => r.layer === 'send');
    expect(sends.map((r) => r.detail.match(/attempt (\d)/)?.[1])).toEqual(['1', '2', '3', '4', '5']);
    expect(sends.map((r) => r.outcome)).toEqual([...Array(4).fill('retrying wechat_http_5xx (HTTP 500)'), 'failed wechat_http_5xx (HTTP 500)']);
  });

  it('45015 is failed with its errcode; -1 twice then sent is a success', async () => {
    const [closed] = await trace('send-failures', who.errcode45015!);
    expect(closed!.outcome.kind).toBe('failed');
    expect(closed!.outcome.layer).toMatch(/^send: errcode 45015 \(response out of time limit/);
    const [retried] = await trace('send-failures', who.errcodeMinus1!);
    expect(retried!.outcome.kind).toBe('success');
    expect(retried!.outcome.text).toMatch(/reply sent/);
  });

  it('an 8 s handler is flagged, as work after the ack, not as a WeChat timeout', async () => {
    const [tl] = await trace('send-failures', who.slowHandler!);
    const worker = tl!.rows.find((r) => r.layer === 'worker')!;
    expect(worker.flag).toMatchObject({ kind: 'after_ack' });
    expect(tl!.overLimit).toBe(false);
    expect(tl!.outcome.kind).toBe('success');
  });
});

describe('trace: nginx frozen, WeChat gave up (nginx-frozen)', () => {
  const closed = [...new Set(readFileSync(incidentLogs('nginx-frozen')[0]!, 'utf8').split('\n').filter((l) => l.includes('"status":499')).map((l) => /openid=([^&]+)/.exec(l)![1]!))];

  it('has 499 lines to look at', () => {
    expect(closed.length).toBeGreaterThan(0);
  });

  it('a 499 joins its message and reads as WeChat closing the connection, not a 0 ms timeout', async () => {
    for (const openid of closed) {
      const timelines = await trace('nginx-frozen', openid);
      const withClosed = timelines.filter((t) => t.rows.some((r) => r.outcome.startsWith('499')));
      expect(withClosed).toHaveLength(1);
      const tl = withClosed[0]!;
      // The retry that got through is the same message: its receive line is in the timeline.
      expect(tl.rows.some((r) => r.layer === 'receive')).toBe(true);
      const row = tl.rows.find((r) => r.outcome.startsWith('499'))!;
      expect(row.outcome).toBe('499 WeChat closed the connection');
      expect(row.flag).toBeUndefined();
      expect(tl.deliveries.find((d) => d.status === 499)).toMatchObject({ result: 'abandoned', layer: 'access: read late' });
    }
  });
});

describe('trace: the receiver frozen (receiver-frozen)', () => {
  it('every 504 is blamed on the receiver, with nginx\'s error line in the timeline', async () => {
    const lines = readFileSync(incidentLogs('receiver-frozen')[0]!, 'utf8').split('\n').filter((l) => l.includes('"status":504'));
    const openids = [...new Set(lines.map((l) => /openid=([^&]+)/.exec(l)![1]!))];
    expect(openids.length).toBeGreaterThan(3);
    const layers: string[] = [];
    for (const openid of openids) {
      for (const tl of await trace('receiver-frozen', openid)) {
        for (const d of tl.deliveries.filter((x) => x.status === 504)) {
          layers.push(d.layer!);
          expect(tl.rows.some((r) => r.layer === 'nginx-error' && r.outcome === 'upstream_timeout')).toBe(true);
        }
      }
    }
    expect(layers.every((l) => l.startsWith('receive'))).toBe(true);
    // Most pushes waited in the frozen process and were then handled in a millisecond or two.
    expect(layers.filter((l) => l === 'receive: stalled').length).toBeGreaterThan(layers.length / 2);
  });
});
