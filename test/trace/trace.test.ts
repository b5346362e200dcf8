import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { fileSource } from '../../src/trace/read-lines.js';
import { traceLogs } from '../../src/trace/trace.js';
import { logSources } from './fixtures.js';
import { T0 } from './events.js';

describe('traceLogs', () => {
  it('joins nginx and wxgate files into one timeline per message', async () => {
    const { timelines, lines } = await traceLogs(logSources('request-timeout-enqueue'), { openid: 'oUSER1' });
    expect(lines).toBe(9);
    expect(timelines).toHaveLength(1);
    const tl = timelines[0]!;
    expect(tl.rows.map((r) => r.layer)).toEqual(['access', 'receive', 'worker', 'handler', 'send']);
    expect(tl.slowest!.layer).toBe('receive');
    expect(tl.overLimit).toBe(true);
    expect(tl.outcome).toMatchObject({ kind: 'slow', layer: 'receive: enqueue' });
  });

  it('keeps messages in the window only', async () => {
    const inside = await traceLogs(logSources('request-timeout-enqueue'), { openid: 'oUSER1', from: T0, to: T0 + 10_000 });
    const outside = await traceLogs(logSources('request-timeout-enqueue'), { openid: 'oUSER1', from: T0 + 3_600_000, to: T0 + 3_900_000 });
    expect(inside.timelines).toHaveLength(1);
    expect(outside.timelines).toHaveLength(0);
  });

  it('filters by account', async () => {
    expect((await traceLogs(logSources('request-timeout-enqueue'), { openid: 'oUSER1', appid: 'wx3f8a6c1d2e4b5a79' })).timelines).toHaveLength(1);
    expect((await traceLogs(logSources('request-timeout-enqueue'), { openid: 'oUSER1', appid: 'wxOther' })).timelines).toHaveLength(0);
  });

  it('does not take a longer openid for the one asked', async () => {
    const text = [
      JSON.stringify({ time: T0, layer: 'receive', openid: 'oA', reqId: 'a', status: 200, outcome: 'acked', ms: 1 }),
      JSON.stringify({ time: T0, layer: 'receive', openid: 'oAB', reqId: 'b', status: 200, outcome: 'acked', ms: 1 }),
    ].join('\n');
    const { timelines } = await traceLogs([fileSource('-', Readable.from([Buffer.from(text)]))], { openid: 'oA' });
    expect(timelines).toHaveLength(1);
  });

  it('traces one request by its id', async () => {
    const { timelines } = await traceLogs(logSources('response-failure-signature'), { reqId: 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa9' });
    expect(timelines).toHaveLength(1);
    expect(timelines[0]!.rows.map((r) => r.layer)).toEqual(['access', 'receive']);
  });

  it('needs an openid or a request id', async () => {
    await expect(traceLogs([], {})).rejects.toThrow(/openid or a request id/);
  });
});
