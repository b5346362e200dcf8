// Log files to lines, streaming: plain or gzip (told apart by the magic bytes, not the name,
// because rotated logs are named every which way), a path or stdin ("-"). Each line goes to a
// synchronous callback, so memory stays flat however large the file: nothing is queued.
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { Readable, pipeline } from 'node:stream';
import { createGunzip } from 'node:zlib';

const GZIP_MAGIC = [0x1f, 0x8b];

/** Returns a stream of the decompressed bytes if `input` starts with gzip's magic bytes. */
export async function decompressIfGzip(input: Readable): Promise<Readable> {
  const iterator = input[Symbol.asyncIterator]() as AsyncIterator<Buffer | string>;
  const head: Buffer[] = [];
  let length = 0;
  let done = false;
  while (length < GZIP_MAGIC.length) {
    const next = await iterator.next();
    if (next.done) {
      done = true;
      break;
    }
    const chunk = typeof next.value === 'string' ? Buffer.from(next.value) : next.value;
    head.push(chunk);
    length += chunk.length;
  }
  const first = Buffer.concat(head);
  async function* replay(): AsyncGenerator<Buffer> {
    if (first.length > 0) yield first;
    if (done) return;
    for (;;) {
      const next = await iterator.next();
      if (next.done) return;
      yield typeof next.value === 'string' ? Buffer.from(next.value) : next.value;
    }
  }
  const replayed = Readable.from(replay(), { objectMode: false });
  if (first[0] !== GZIP_MAGIC[0] || first[1] !== GZIP_MAGIC[1]) return replayed;
  const gunzip = createGunzip();
  pipeline(replayed, gunzip, () => {
    // pipeline destroys gunzip with the error; the reader below sees it.
  });
  return gunzip;
}

export interface LineSource {
  /** A path, or "-" for stdin. */
  name: string;
  open(): Readable;
}

export function fileSource(path: string, stdin: Readable = process.stdin): LineSource {
  if (path === '-') return { name: '-', open: () => stdin };
  // 64 KiB reads: with 1 MiB ones an alert over 1 GB peaked at ~220 MB instead of ~145-185, its
  // heap at ~100 MB instead of ~45 (bench/README.md); the speed is the same.
  return { name: path, open: () => createReadStream(path, { highWaterMark: 1 << 16 }) };
}

/** Calls onLine for every line of the source, in order; resolves at the end. */
export async function forEachLine(source: LineSource, onLine: (line: string) => void): Promise<void> {
  const raw = source.open();
  const failed = new Promise<never>((_, reject) => raw.once('error', reject));
  failed.catch(() => undefined);
  const input = await Promise.race([decompressIfGzip(raw), failed]);
  const rl = createInterface({ input, crlfDelay: Infinity });
  await new Promise<void>((resolve, reject) => {
    rl.on('line', onLine);
    rl.once('close', resolve);
    const fail = (err: Error): void => {
      reject(err); // before close(), which would resolve
      rl.close();
    };
    // readline re-emits its input's errors on itself.
    rl.on('error', fail);
    input.on('error', fail);
    raw.on('error', fail);
  });
}
