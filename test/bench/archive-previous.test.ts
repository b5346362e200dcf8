import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { archivePrevious } from '../../bench/lib/archive-previous.js';

let dir: string;
const setup = (files: Record<string, string>) => {
  dir = mkdtempSync(join(tmpdir(), 'wxgate-archive-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return { results: dir, readme: join(dir, 'README.md') };
};
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('archivePrevious', () => {
  it("keeps a record that carries its CPU under the record's own date and model", () => {
    const record = JSON.stringify({ at: '2026-12-03T09:15:02.000Z', cpu: 'Intel(R) Xeon(R) Processor', result: {} });
    const { results, readme } = setup({ 'receive.json': record });
    expect(archivePrevious(results, readme, 'receive')).toBe('receive-2026-12-03-0915-intel-xeon.json');
    expect(readdirSync(results).sort()).toEqual(['receive-2026-12-03-0915-intel-xeon.json']);
    expect(readFileSync(join(results, 'receive-2026-12-03-0915-intel-xeon.json'), 'utf8')).toBe(record);
  });

  it("names an older record, without a cpu field, from its block's line in the README", () => {
    const readme = '## receive\n\n<!-- receive:begin -->\nRecorded 2026-11-29T21:03:39.196Z on 2 × AMD EPYC, Node v20.20.2 (results/receive.json).\n<!-- receive:end -->\n';
    const { results, readme: path } = setup({ 'receive.json': JSON.stringify({ at: '2026-11-29T21:03:39.196Z', result: {} }), 'README.md': readme });
    expect(archivePrevious(results, path, 'receive')).toBe('receive-2026-11-29-2103-amd-epyc.json');
  });

  it('does nothing without a previous record, and never overwrites a kept one', () => {
    const { results, readme } = setup({});
    expect(archivePrevious(results, readme, 'receive')).toBeUndefined();
    const record = JSON.stringify({ at: '2026-12-03T09:15:02.000Z', cpu: 'AMD EPYC' });
    writeFileSync(join(results, 'receive.json'), record);
    writeFileSync(join(results, 'receive-2026-12-03-0915-amd-epyc.json'), 'kept');
    expect(() => archivePrevious(results, readme, 'receive')).toThrow(/exists already/);
    expect(readFileSync(join(results, 'receive-2026-12-03-0915-amd-epyc.json'), 'utf8')).toBe('kept');
  });
});
