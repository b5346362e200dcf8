import { describe, expect, it } from 'vitest';
import { masterOfSlot, netUsPerPush, parseClusterSlots, pickAccounts, shardCeiling, shardsNeeded } from '../../bench/lib/cluster-figures.js';

// What redis-cli --cluster create makes of 3 masters and 3 replicas.
const SLOTS = [
  [0, 5460, ['127.0.0.1', 7001, 'a'], ['127.0.0.1', 7005, 'e']],
  [5461, 10922, ['127.0.0.1', 7002, 'b'], ['127.0.0.1', 7006, 'f']],
  [10923, 16383, ['127.0.0.1', 7003, 'c'], ['127.0.0.1', 7004, 'd']],
];

describe('parseClusterSlots / masterOfSlot', () => {
  it('reads each range with its master and replica ports', () => {
    const ranges = parseClusterSlots(SLOTS);
    expect(ranges[1]).toEqual({ from: 5461, to: 10922, master: 7002, replicas: [7006] });
    expect(masterOfSlot(ranges, 0)).toBe(7001);
    expect(masterOfSlot(ranges, 10922)).toBe(7002);
    expect(masterOfSlot(ranges, 16383)).toBe(7003);
  });

  it('refuses a slot no range serves', () => {
    expect(() => masterOfSlot(parseClusterSlots(SLOTS.slice(0, 2)), 16000)).toThrow(RangeError);
  });
});

describe('pickAccounts', () => {
  const ranges = parseClusterSlots(SLOTS);
  it('takes the first candidates of each master, the same number on each', () => {
    const candidates = [1, 2, 6000, 3, 12000, 7000, 13000, 8000].map((slot, i) => ({ appid: `wx${i}`, slot }));
    const picked = pickAccounts(candidates, ranges, 2);
    expect(picked.map((p) => [p.appid, p.master])).toEqual([
      ['wx0', 7001],
      ['wx1', 7001],
      ['wx2', 7002],
      ['wx5', 7002],
      ['wx4', 7003],
      ['wx6', 7003],
    ]);
  });

  it('says which master is short of candidates', () => {
    expect(() => pickAccounts([{ slot: 1 }, { slot: 6000 }], ranges, 1)).toThrow(/7003/);
  });
});

describe('netUsPerPush', () => {
  it('takes the idle floor over the window off before dividing by the pushes', () => {
    // 1.2 s of CPU over 10 s at 2 ms/s idle, 5,000 pushes: (1,200,000 − 20,000) / 5,000
    expect(netUsPerPush({ cpuUs: 1_200_000, idleUsPerS: 2000, windowS: 10, pushes: 5000 })).toBe(236);
  });

  it('is never negative, and refuses no pushes', () => {
    expect(netUsPerPush({ cpuUs: 10, idleUsPerS: 100, windowS: 1, pushes: 10 })).toBe(0);
    expect(() => netUsPerPush({ cpuUs: 10, idleUsPerS: 0, windowS: 1, pushes: 0 })).toThrow(RangeError);
  });
});

describe('shardCeiling / shardsNeeded', () => {
  it('is one second of one core over the CPU per push, less the idle floor, at the share given', () => {
    expect(shardCeiling(200)).toBe(5000);
    expect(shardCeiling(200, { coreShare: 0.5 })).toBe(2500);
    expect(shardCeiling(200, { idleUsPerS: 10_000 })).toBe(4950);
    expect(() => shardCeiling(0)).toThrow(RangeError);
    expect(() => shardCeiling(100, { coreShare: 1.5 })).toThrow(RangeError);
  });

  it('rounds the shards a rate needs up, and needs at least one', () => {
    expect(shardsNeeded(10_000, 2500)).toBe(4);
    expect(shardsNeeded(10_000, 2400)).toBe(5);
    expect(shardsNeeded(10, 2500)).toBe(1);
  });
});
