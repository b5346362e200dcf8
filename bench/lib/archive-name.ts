// Where a suite's previous record goes when a new one replaces results/<suite>.json: a file
// named by the date and time it was recorded (UTC) and the machine's CPU model, kept beside it.

/** "Intel(R) Xeon(R) Processor" → "intel-xeon"; "AMD EPYC 7B13 64-Core Processor" → "amd-epyc-7b13-64-core". */
export function cpuSlug(model: string): string {
  const slug = model
    .toLowerCase()
    .replace(/\((r|tm)\)/g, ' ')
    .replace(/\b(processor|cpu)\b/g, ' ')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
  return slug || 'unknown-cpu';
}

/** `receive-2026-11-29-2103-amd-epyc.json` for a receive record made at 2026-11-29T21:03:39Z on an AMD EPYC. */
export function archiveName(suite: string, at: string, cpuModel: string): string {
  const when = new Date(at);
  if (Number.isNaN(when.getTime())) throw new RangeError(`not a recording time: ${at}`);
  const iso = when.toISOString(); // 2026-11-29T21:03:39.196Z
  return `${suite}-${iso.slice(0, 10)}-${iso.slice(11, 13)}${iso.slice(14, 16)}-${cpuSlug(cpuModel)}.json`;
}

/**
 * The CPU model a record was made on, from the line bench/README.md carries for it
 * ("Recorded <at> on 2 × <model>, Node …"): records made before they carried a `cpu` field.
 */
export function recordedModel(readme: string, at: string): string | undefined {
  const line = readme.split('\n').find((l) => l.startsWith(`Recorded ${at} on `));
  return line ? /^Recorded \S+ on \d+ × (.+?), Node /.exec(line)?.[1] : undefined;
}
