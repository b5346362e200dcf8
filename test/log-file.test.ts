// WXGATE_LOG_FILE's rotation (src/log-file.ts): the named file is always the current one; at
// local midnight or past the size limit it is renamed to name.<day>.<n>.ext, the newest `keep`
// of those are kept, and a file left from an earlier day is set aside at start.
import { mkdtemp, readdir, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogFile } from '../src/log-file.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'wxgate-logfile-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const at = (iso: string) => new Date(iso).getTime();
const files = async () => (await readdir(dir)).sort();
const read = (name: string) => readFile(join(dir, name), 'utf8');

describe('createLogFile', () => {
  it('writes the file named; past maxBytes renames it aside under the day and a counter, and keeps the newest `keep`', async () => {
    let now = at('2026-11-22T10:00:00');
    const log = createLogFile({ file: join(dir, 'wxgate.log') }, { maxBytes: 10, keep: 2, now: () => now });
    for (const line of ['one 567890\n', 'two 567890\n', 'three 7890\n', 'four 67890\n']) {
      log.write(line);
      log.flushSync();
      now += 1000;
    }
    expect(await files()).toEqual(['wxgate.2026-11-22.2.log', 'wxgate.2026-11-22.3.log', 'wxgate.log']);
    expect(await read('wxgate.2026-11-22.2.log')).toBe('two 567890\n');
    expect(await read('wxgate.2026-11-22.3.log')).toBe('three 7890\n');
    expect(await read('wxgate.log')).toBe('four 67890\n');
  });

  it('rotates at local midnight, naming the rotated file after the day its lines were written', async () => {
    let now = at('2026-11-22T23:59:59');
    const log = createLogFile({ file: join(dir, 'wxgate.log') }, { now: () => now });
    log.write('late\n');
    log.flushSync();
    now = at('2026-11-23T00:00:01');
    log.write('early\n');
    log.flushSync();
    expect(await files()).toEqual(['wxgate.2026-11-22.1.log', 'wxgate.log']);
    expect(await read('wxgate.2026-11-22.1.log')).toBe('late\n');
    expect(await read('wxgate.log')).toBe('early\n');
  });

  it('sets aside at start a file left from an earlier day, and appends to one from today', async () => {
    const file = join(dir, 'app.log');
    await writeFile(file, 'yesterday\n');
    const yesterday = new Date(at('2026-11-21T12:00:00'));
    await utimes(file, yesterday, yesterday);
    const first = createLogFile({ file }, { now: () => at('2026-11-22T08:00:00') });
    first.write('today\n');
    first.flushSync();
    expect(await files()).toEqual(['app.2026-11-21.1.log', 'app.log']);
    await utimes(file, new Date(at('2026-11-22T08:00:00')), new Date(at('2026-11-22T08:00:00')));
    const second = createLogFile({ file }, { now: () => at('2026-11-22T09:00:00') });
    second.write('again\n');
    second.flushSync();
    expect(await read('app.log')).toBe('today\nagain\n');
  });
});
