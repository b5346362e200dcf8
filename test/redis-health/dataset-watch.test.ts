import { describe, expect, it } from 'vitest';
import { judge, type WatchState } from '../../src/redis-health/dataset-watch.js';

const known: WatchState = { epoch: 'e1', runId: 'r1', evictedKeys: 10, evicting: false };

describe('judge: did Redis lose its data since the last check, and why', () => {
  it('the first check only arms the marker', () => {
    expect(judge({ evicting: false }, { marker: null, runId: 'r1', evictedKeys: 0 }).finding).toEqual({ kind: 'first', markerFound: false });
    expect(judge({ evicting: false }, { marker: 'e0', runId: 'r1' }).finding).toEqual({ kind: 'first', markerFound: true });
  });

  it('marker gone: restart when the run_id changed, eviction when keys were evicted, else a flush', () => {
    expect(judge(known, { marker: null, runId: 'r2', evictedKeys: 0 }).finding).toEqual({ kind: 'lost', reason: 'restart', evicted: 0 });
    expect(judge(known, { marker: null, runId: 'r1', evictedKeys: 15 }).finding).toEqual({ kind: 'lost', reason: 'eviction', evicted: 5 });
    expect(judge(known, { marker: null, runId: 'r1', evictedKeys: 10 }).finding).toEqual({ kind: 'lost', reason: 'flush', evicted: 0 });
  });

  it('marker replaced (another process found it gone first and wrote a new one): lost too', () => {
    expect(judge(known, { marker: 'e2', runId: 'r1', evictedKeys: 10 }).finding).toMatchObject({ kind: 'lost', reason: 'flush' });
  });

  it('marker intact after a new run_id: restarted with its data (persistence, or a failover to a replica)', () => {
    expect(judge(known, { marker: 'e1', runId: 'r2', evictedKeys: 0 }).finding).toEqual({ kind: 'restarted-with-data' });
  });

  it('evictions with the marker intact: reported once per streak, then the end of the streak', () => {
    const first = judge(known, { marker: 'e1', runId: 'r1', evictedKeys: 12 });
    expect(first).toEqual({ finding: { kind: 'evicting', evicted: 2 }, evicting: true });
    const during = { ...known, evictedKeys: 12, evicting: true };
    expect(judge(during, { marker: 'e1', runId: 'r1', evictedKeys: 20 })).toEqual({ finding: { kind: 'same' }, evicting: true });
    expect(judge(during, { marker: null, runId: 'r1', evictedKeys: 20 }).finding).toEqual({ kind: 'rearm' });
    expect(judge(during, { marker: 'e1', runId: 'r1', evictedKeys: 12 })).toEqual({ finding: { kind: 'stopped-evicting' }, evicting: false });
  });

  it('a count that went down (CONFIG RESETSTAT) is no eviction', () => {
    expect(judge(known, { marker: 'e1', runId: 'r1', evictedKeys: 0 }).finding).toEqual({ kind: 'same' });
  });
});
