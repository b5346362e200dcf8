// Builders for log events in tests: one line per layer, as wxgate and nginx write them.
import type { LogEvent } from '../../src/trace/event.js';

export const T0 = Date.UTC(2014, 11, 1, 12, 12, 0); // 2014-12-01 20:12:00 +08:00

export function accessEvent(over: Partial<LogEvent> & { upstreamMs?: number; upstreamStatus?: number[]; pushTs?: number } = {}): LogEvent {
  const { upstreamMs = 3, upstreamStatus = [over.status ?? 200], pushTs = Math.floor(T0 / 1000), ...rest } = over;
  return {
    layer: 'access',
    end: T0 + 10,
    ms: 5,
    status: 200,
    reqId: 'r1',
    openid: 'oA',
    access: { method: 'POST', path: '/wechat', pushTs, upstreamAddrs: upstreamStatus.map((_, i) => `10.0.0.1${i}:3000`), upstreamStatuses: upstreamStatus, upstreamMs, serverAddr: '203.0.113.5' },
    ...rest,
  };
}

export function receiveEvent(over: Partial<LogEvent> = {}): LogEvent {
  return {
    layer: 'receive',
    end: T0 + 8,
    ms: 2,
    reqId: 'r1',
    appid: 'wxA',
    openid: 'oA',
    stamp: Math.floor(T0 / 1000),
    msgType: 'text',
    msgId: '1001',
    dedupKey: 'm1001',
    status: 200,
    outcome: 'acked',
    steps: { verify: 0.2, decrypt: 0.3, parse: 0.2, enqueue: 1.1 },
    ...over,
  };
}

export function laterEvent(layer: string, over: Partial<LogEvent> = {}): LogEvent {
  return { layer, end: T0 + 200, ms: 50, appid: 'wxA', openid: 'oA', stamp: Math.floor(T0 / 1000), msgType: 'text', msgId: '1001', dedupKey: 'm1001', outcome: 'done', ...over };
}
