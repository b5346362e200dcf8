// Before a new record replaces results/<suite>.json, the old one moves aside under its date and
// CPU model (archiveName), so that every recorded run stays in results/.
import { existsSync, readFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { archiveName, recordedModel } from './archive-name.js';

/**
 * Returns the name the previous record was kept under, or undefined when there was none. The
 * time and CPU come from the record (`at`, `cpu`); records made before they carried `cpu` are
 * named from their block's first line in the README ("Recorded <at> on 2 × <model>, …").
 */
export function archivePrevious(resultsDir: string, readmePath: string, suite: string): string | undefined {
  const current = join(resultsDir, `${suite}.json`);
  if (!existsSync(current)) return undefined;
  const record = JSON.parse(readFileSync(current, 'utf8')) as { at?: string; date?: string; cpu?: string };
  const block = existsSync(readmePath) ? new RegExp(`<!-- ${suite}:begin -->\\n(Recorded (\\S+) .*)`).exec(readFileSync(readmePath, 'utf8')) : null;
  const at = record.cpu ? (record.at ?? record.date) : (block?.[2] ?? record.at ?? record.date);
  const model = record.cpu ?? (block ? recordedModel(block[1]!, block[2]!) : undefined) ?? 'unknown cpu';
  if (!at) throw new Error(`results/${suite}.json says nothing of when it was recorded: move it aside by hand`);
  const to = archiveName(suite, at, model);
  if (existsSync(join(resultsDir, to))) throw new Error(`results/${to} exists already: move results/${suite}.json aside by hand`);
  renameSync(current, join(resultsDir, to));
  return to;
}
