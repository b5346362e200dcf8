// `npm run bench -- faults` (issue 14): the fault matrix as a suite. Each case starts its own
// redis-server(s), mock WeChat, receivers and workers on ports of its own, drives signed pushes as
// WeChat does, injects its fault and counts what was acknowledged, handled and replied to.
// The whole suite at the issue's load (200 pushes/s for 60 s) writes results/faults.json; on its
// own, `node --import tsx bench/faults.ts [--case name…] [--duration S] [--rate N]` prints the
// results, and records them only when every case ran at the full load.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { FaultCaseResult } from './faults/case.js';
import { FAULT_CASES } from './faults/cases.js';
import { faultsTable, type FaultsRecord } from './faults/table.js';

const FULL = { durationS: 60, rate: 200 };

const { values } = parseArgs({ options: { case: { type: 'string', multiple: true }, duration: { type: 'string' }, rate: { type: 'string' } } });
const durationS = values.duration ? Number(values.duration) : FULL.durationS;
const rate = values.rate ? Number(values.rate) : FULL.rate;
if (!(durationS > 0) || !(rate > 0)) throw new Error('--duration and --rate want positive numbers');
const names = values.case ?? FAULT_CASES.map((c) => c.name);
const unknown = names.filter((n) => !FAULT_CASES.some((c) => c.name === n));
if (unknown.length > 0) {
  console.error(`unknown case ${unknown.join(', ')}; known: ${FAULT_CASES.map((c) => c.name).join(', ')}`);
  process.exit(2);
}

const results: FaultCaseResult[] = [];
for (const c of FAULT_CASES.filter((c) => names.includes(c.name))) {
  const workDir = mkdtempSync(join(tmpdir(), `wxgate-fault-${c.name}-`));
  const log = (m: string) => console.error(`[${c.name}] ${m}`);
  log(c.title);
  const started = Date.now();
  try {
    const out = await c.run({ durationS, rate, workDir, log });
    results.push(...out);
    for (const r of out) log(`${r.variant ?? ''} ${r.targets.every((t) => t.met) ? 'targets met' : `MISSED ${r.targets.filter((t) => !t.met).map((t) => t.name).join(', ')}`} (${Math.round((Date.now() - started) / 1000)} s)`);
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
}

const full = names.length === FAULT_CASES.length && durationS === FULL.durationS && rate === FULL.rate;
const record: FaultsRecord = { at: new Date().toISOString(), node: process.version, cpu: cpus()[0]?.model ?? 'unknown cpu', cpus: cpus().length, durationS, rate, results };
console.log(JSON.stringify(results, null, 2));
console.log(`\n${faultsTable(results)}`);
if (full) writeFileSync(join(import.meta.dirname, 'results', 'faults.json'), `${JSON.stringify(record, null, 2)}\n`);
else console.log(`\nA partial run (${names.length}/${FAULT_CASES.length} cases, ${rate}/s for ${durationS} s; the record is ${FULL.rate}/s for ${FULL.durationS} s): printed, not recorded.`);
