import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decompressIfGzip, fileSource, forEachLine } from '../../src/trace/read-lines.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'wxgate-read-lines-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function lines(path: string, stdin?: Readable): Promise<string[]> {
  const out: string[] = [];
  await forEachLine(fileSource(path, stdin), (l) => out.push(l));
  return out;
}

describe('forEachLine', () => {
  it('reads a plain file, CRLF or not, last line without a newline', async () => {
    const p = join(dir, 'plain.log');
    await writeFile(p, 'a\r\nb\nc');
    expect(await lines(p)).toEqual(['a', 'b', 'c']);
  });

  it('reads gzip whatever the name, including concatenated members (rotated logs)', async () => {
    const p = join(dir, 'rotated.log.1');
    await writeFile(p, Buffer.concat([gzipSync('a\nb\n'), gzipSync('c\n')]));
    expect(await lines(p)).toEqual(['a', 'b', 'c']);
  });

  it('reads stdin for "-", gzip or not', async () => {
    expect(await lines('-', Readable.from([Buffer.from('x\ny\n')]))).toEqual(['x', 'y']);
    const gz = gzipSync('p\nq\n');
    // The magic bytes may arrive one at a time.
    expect(await lines('-', Readable.from([gz.subarray(0, 1), gz.subarray(1)]))).toEqual(['p', 'q']);
  });

  it('reads an empty file', async () => {
    const p = join(dir, 'empty.log');
    await writeFile(p, '');
    expect(await lines(p)).toEqual([]);
  });

  it('fails on a missing file', async () => {
    await expect(lines(join(dir, 'nope.log'))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('fails on a corrupt gzip', async () => {
    const p = join(dir, 'bad.gz');
    await writeFile(p, Buffer.concat([gzipSync('a\n').subarray(0, 12), Buffer.from('garbage')]));
    await expect(lines(p)).rejects.toThrow();
  });
});

describe('decompressIfGzip', () => {
  it('passes other bytes through untouched', async () => {
    const out = await decompressIfGzip(Readable.from([Buffer.from([0x1f]), Buffer.from('zz')]));
    const chunks: Buffer[] = [];
    for await (const c of out) chunks.push(c as Buffer);
    expect(Buffer.concat(chunks)).toEqual(Buffer.from([0x1f, 0x7a, 0x7a]));
  });
});
