import { describe, expect, it } from 'vitest';
import { earlierRunsTable, targetsTable } from '../../bench/lib/receive-table.js';
import { judgeReceiveTargets, SUBJECTS } from '../../bench/lib/receive-targets.js';

const { bare, peerEmpty, peerAdd, plaintext, safe, noEnqueue } = SUBJECTS;
const round = (slow: number, names: Record<string, number>) => Object.entries(names).map(([target, cpu]) => ({ target, cpuUsPerReq: cpu * slow }));
const costs = { [bare]: 80, [peerEmpty]: 330, [peerAdd]: 480, [plaintext]: 400, [safe]: 430, [noEnqueue]: 300 };
const rounds = [1, 1.1, 0.9, 1, 1.2].map((slow) => round(slow, costs));
const table = (md: string) => md.split('\n').slice(2).map((line) => line.split(' | ').map((c) => c.replace(/^\| | \|$/g, '')));

describe('targetsTable', () => {
  it('writes one row per target with the median, its range, the count and met or missed', () => {
    const verdicts = judgeReceiveTargets(rounds.map((r) => Object.fromEntries(r.map((t) => [t.target, t.cpuUsPerReq]))), { saturationRps: 2400, rate: 1200, p99Ms: [8.1, 9.4, 40.2] });
    const rows = table(targetsTable(verdicts));
    expect(rows.map((r) => r.slice(1))).toEqual([
      ['≥ 1.2×', '1.2× (1.2–1.2)', '5', 'met'],
      ['≥ 1.1×', '1.1× (1.1–1.1)', '5', 'met'],
      ['≥ 0.9×', '0.93× (0.93–0.93)', '5', 'met'],
      ['≤ 10 ms', '9.4 ms (8.1–40.2)', '3', 'met'],
    ]);
  });

  it('says missed for a figure short of its target, and not measured for one the run lacks', () => {
    const slowSafe = rounds.map((r) => Object.fromEntries(r.map((t) => [t.target, t.target === safe ? t.cpuUsPerReq * 1.5 : t.cpuUsPerReq])));
    const rows = table(targetsTable(judgeReceiveTargets(slowSafe)));
    expect(rows[2]!.slice(2)).toEqual(['0.62× (0.62–0.62)', '5', 'missed']);
    expect(rows[3]!.slice(2)).toEqual(['—', '0', 'not measured']);
  });
});

describe('earlierRunsTable', () => {
  it('judges each kept record by its own rounds, naming the older target name and fixed-rate latency as they were', () => {
    const old = {
      perRound: rounds.map((r) => r.map((t) => (t.target === noEnqueue ? { ...t, target: `${noEnqueue} (diagnostic)` } : t))),
      constantRate: { p99: 90.4 },
    };
    const beforeTheDiagnostic = { perRound: rounds.map((r) => r.filter((t) => t.target !== noEnqueue)), constantRate: { p99: 12.3 } };
    const current = { perRound: rounds, saturationRps: 2400, rate: 1200, atRate: [{ target: plaintext, runs: [{ p99: 12 }, { p99: 11 }, { p99: 30 }] }] };
    const rows = table(earlierRunsTable([
      { file: 'receive-2026-11-22-0722-intel-xeon.json', record: beforeTheDiagnostic },
      { file: 'receive-2026-11-29-2103-amd-epyc.json', record: old },
      { file: 'receive-2026-12-03-0900-intel-xeon.json', record: current },
    ]));
    expect(rows[0]).toEqual(['receive-2026-11-22-0722-intel-xeon.json', '5', '1.2× (1.2–1.2) met', '—', '0.93× (0.93–0.93) met', '— (12.3 ms at a fixed 2,000 req/s)']);
    expect(rows[1]![3]).toBe('1.1× (1.1–1.1) met');
    expect(rows[2]![5]).toBe('12 ms (11–30) missed');
  });
});
