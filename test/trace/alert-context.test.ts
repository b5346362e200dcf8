import { describe, expect, it } from 'vitest';
import { analyzeAlert } from '../../src/trace/alert-analyze.js';
import { checklist } from '../../src/trace/alert-checklist.js';
import { contextOf, contextSentences } from '../../src/trace/alert-context.js';
import { ALERT_KINDS } from '../../src/trace/alert-kinds.js';
import { parseAlert } from '../../src/trace/alert-parse.js';
import { parseLine } from '../../src/trace/parse-line.js';
import { T0, accessEvent, receiveEvent } from './events.js';

const line = (o: Record<string, unknown>) => parseLine(JSON.stringify({ level: 30, ...o }))!;
const APPID = 'wx3f8a6c1d2e4b5a79';

describe('wxgate\'s own process lines around an alert', () => {
  it('a process that died (no stop line) and its successor: "down" from its last line to the new start', () => {
    const c = contextOf([
      line({ time: T0 - 60_000, pid: 1, layer: 'receive', url: 'x', apps: [APPID], msg: 'receiver listening' }),
      line({ time: T0 + 5000, pid: 1, layer: 'receive', appid: APPID, openid: 'oA', reqId: 'r', status: 200, outcome: 'acked', ms: 1, msg: 'push acknowledged' }),
      line({ time: T0 + 30_000, pid: 2, layer: 'receive', url: 'x', apps: [APPID], msg: 'receiver listening' }),
    ]);
    expect(c.restarts).toEqual([expect.objectContaining({ from: T0 + 5000, to: T0 + 30_000, oldPid: 1, newPid: 2, died: true })]);
    expect(c.restarts[0]!.text).toMatch(/^wxgate was down 20:12:05–20:12:30 \(pid 1 logged no stop/);
  });

  it('Redis-state lines by message or code, one list (today\'s message, a data-loss code)', () => {
    const c = contextOf([
      line({ time: T0 + 1000, pid: 3, layer: 'receive', redis: 'connecting', msg: 'Redis not reachable at start: pushes go to the spool until it is' }),
      line({ time: T0 + 2000, pid: 3, layer: 'spool', file: 'f', jobs: 4, ms: 9, msg: 'spool drained' }),
      line({ time: T0 + 3000, pid: 3, layer: 'redis', code: 'redis_data_lost', reason: 'restart', msg: 'Redis lost its data: acknowledged pushes not yet handled, replies not yet sent, dedup records, reply quotas and the access_token may be gone' }),
      line({ time: T0 + 4000, pid: 3, msg: 'stopping', signal: 'SIGTERM' }),
    ]);
    expect(c.redis.map((e) => e.kind)).toEqual(['redis_down', 'redis_up', 'redis_data_lost']);
    expect(c.process.map((e) => e.kind)).toEqual(['redis_down', 'redis_up', 'redis_data_lost', 'stop']);
    const said = contextSentences(c, { from: T0, to: T0 + 60_000 }).join('\n');
    expect(said).toMatch(/Redis lost its data \(queued pushes, unsent replies, dedup records may be gone\) at 20:12:03 \(pid 3\)/);
    expect(said).toMatch(/wxgate stopped at 20:12:04/);
  });
});

describe('the analysis', () => {
  it('lists failures of other types apart instead of dropping them', () => {
    const alert = parseAlert(`Appid: ${APPID}\n时间: 2014-12-01 20:12:00\n内容: 得到的回应不合法\n错误样例: [Event=subscribe]`);
    const a = analyzeAlert(alert, ALERT_KINDS.response_failure, [
      accessEvent({ status: 401, upstreamStatus: [401] }),
      receiveEvent({ appid: APPID, status: 401, outcome: 'rejected', reason: 'nonce_replayed' }),
    ]);
    expect(a.counts).toMatchObject({ deliveries: 0, otherTypes: 1 });
    expect(a.otherTypeFailures).toEqual([expect.objectContaining({ layer: 'receive: nonce_replayed', types: { text: 1 } })]);
    expect(a.verdict.layer).toBe('receive: nonce_replayed');
  });

  it('the DNS checklist names the resolver WeChat\'s guide names', () => {
    const alert = parseAlert(`Appid: ${APPID}\n时间: 2014-12-01 20:12:00\n内容: 解析DNS失败`);
    const a = analyzeAlert(alert, ALERT_KINDS.dns_failure, [receiveEvent({ appid: APPID, end: T0 + 600_000 })]);
    const dns = checklist({ alert, kind: ALERT_KINDS.dns_failure, analysis: a }).find((c) => c.id === 'dns')!;
    expect(dns.text).toMatch(/dig @182\.254\.116\.116/);
    expect(dns.text).not.toMatch(/8\.8\.8\.8/);
  });
});
