// The fault suite's table in bench/README.md: one row per case (and variant).
import type { FaultCaseResult } from './case.js';

const answers = (r: Record<string, number>) => Object.entries(r).map(([k, v]) => `${k}: ${v}`).join(', ') || '—';
const ms = (v: number | undefined) => (v === undefined ? '—' : `${(v / 1000).toFixed(1)} s`);

export function faultsTable(results: readonly FaultCaseResult[], prose = ''): string {
  const rows = results.map((r) => {
    const missed = r.targets.filter((t) => !t.met);
    const targets = r.targets.length === 0 ? 'none: counted' : missed.length === 0 ? `all ${r.targets.length} met` : `missed: ${missed.map((t) => `${t.name} (${t.detail})`).join('; ')}`;
    return `| ${r.title}${r.variant ? ` (${r.variant})` : ''} | ${r.pushes} | ${r.success} | ${answers(r.otherAnswers)} | ${r.handlerRuns} | ${r.replies} | ${r.lost} | ${r.duplicated} | ${[r.drainMs !== undefined && `drain ${ms(r.drainMs)}`, r.exitMs !== undefined && `exit ${ms(r.exitMs)}`].filter(Boolean).join(', ') || '—'} | ${targets} |`;
  });
  return [
    ...(prose ? [prose, ''] : []),
    '| case | pushes | `success` | other answers | handler runs | replies at the mock | lost | duplicated | drain / exit | targets |',
    '|---|---:|---:|---|---:|---:|---:|---:|---:|---|',
    ...rows,
  ].join('\n');
}

/** results/faults.json. */
export interface FaultsRecord {
  at: string;
  node: string;
  cpu: string;
  cpus: number;
  durationS: number;
  rate: number;
  results: FaultCaseResult[];
}

/** The suite's block in bench/README.md: the load, the table, and each case's notes. */
export function faultsReadme(r: FaultsRecord): string {
  const prose = `${r.rate} signed pushes/s for ${r.durationS} s per case (plaintext and safe mode alternating, WeChat's 5 s timeout and 3 deliveries) against \`wxgate serve\` + \`wxgate worker\` processes and \`mock-wechat\`, each case on a redis-server of its own. Lost: acknowledged and never handled or never replied to. Duplicated: replies beyond the first.`;
  const notes = r.results.flatMap((c) => c.notes.map((n) => `- ${c.title}${c.variant ? ` (${c.variant})` : ''}: ${n}`));
  return [faultsTable(r.results, prose), ...(notes.length > 0 ? ['', ...notes] : [])].join('\n');
}
