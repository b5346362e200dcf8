// WXGATE_LOG_FILE: the lines go to exactly the file named, and at local midnight or past
// `maxBytes` that file is renamed aside and a new one opened in its place, the way logrotate
// leaves things: `wxgate.log` is always the current file, `wxgate.2026-11-22.1.log`,
// `wxgate.2026-11-22.2.log` … the earlier ones (the day their lines were written, then a
// counter), the newest `keep` of them kept. pino-roll, used before, always numbers the file
// it writes (`WXGATE_LOG_FILE=wxgate.log` wrote wxgate.1.log: issue 16) and writes from a
// worker thread, out of reach of the line buffer's bounds; this is pino's own sonic-boom
// (flushSync at exit) on a descriptor opened here, and a rename. The descriptor is opened
// synchronously, so a flush at exit right after the start finds it ready.
import { mkdirSync, openSync, readdirSync, renameSync, statSync, unlinkSync } from 'node:fs';
import { basename, dirname, extname, join } from 'node:path';
import { pino } from 'pino';
import type { LineSink } from './line-buffer.js';

export interface LogFileOptions {
  maxBytes?: number;
  keep?: number;
  now?: () => number;
}

const pad = (n: number) => String(n).padStart(2, '0');
const dayOf = (ms: number) => {
  const d = new Date(ms);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
};
const nextMidnight = (ms: number) => {
  const d = new Date(ms);
  return new Date(d.getFullYear(), d.getMonth(), d.getDate() + 1).getTime();
};

/** The rotated files of `file`, oldest first: stem.YYYY-MM-DD.N<ext>. */
export function rotatedFiles(file: string): string[] {
  const ext = extname(file);
  const stem = basename(file, ext);
  const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const pattern = new RegExp(`^${escape(stem)}\\.(\\d{4}-\\d{2}-\\d{2})\\.(\\d+)${escape(ext)}$`);
  const key = (name: string) => {
    const m = pattern.exec(name)!;
    return `${m[1]}.${m[2]!.padStart(9, '0')}`;
  };
  return readdirSync(dirname(file))
    .filter((name) => pattern.test(name))
    .sort((a, b) => (key(a) < key(b) ? -1 : 1))
    .map((name) => join(dirname(file), name));
}

function rotatedName(file: string, day: string): string {
  const ext = extname(file);
  const stem = join(dirname(file), basename(file, ext));
  let n = 1;
  const taken = new Set(rotatedFiles(file));
  while (taken.has(`${stem}.${day}.${n}${ext}`)) n += 1;
  return `${stem}.${day}.${n}${ext}`;
}

const sizeOf = (file: string) => {
  try {
    return statSync(file);
  } catch {
    return undefined;
  }
};

export function createLogFile({ file }: { file: string }, { maxBytes = 100 * 1024 * 1024, keep = 14, now = Date.now }: LogFileOptions = {}): LineSink {
  mkdirSync(dirname(file), { recursive: true });
  const prune = () => {
    const old = rotatedFiles(file);
    for (const f of old.slice(0, Math.max(0, old.length - keep))) unlinkSync(f);
  };
  // A file left from an earlier day is set aside first, under the day it was written.
  const existing = sizeOf(file);
  if (existing && dayOf(existing.mtimeMs) !== dayOf(now())) {
    renameSync(file, rotatedName(file, dayOf(existing.mtimeMs)));
    prune();
  }
  let size = sizeOf(file)?.size ?? 0;
  let day = dayOf(now());
  let rotateAt = nextMidnight(now());
  const open = () => pino.destination({ dest: openSync(file, 'a'), sync: false, minLength: 0 });
  let boom = open();
  const rotate = (t: number) => {
    // Lines still being written go to the renamed file (the open descriptor follows it), and
    // the old stream closes once they are out.
    try {
      renameSync(file, rotatedName(file, day));
      const old = boom;
      boom = open();
      old.end();
      prune();
    } catch (err) {
      // Logging goes on in the current file; the next midnight or size tries again.
      process.stderr.write(`wxgate: could not rotate ${file}: ${(err as Error).message}\n`);
    }
    size = 0;
    day = dayOf(t);
    rotateAt = nextMidnight(t);
  };
  return {
    write(chunk) {
      const t = now();
      if (t >= rotateAt || size >= maxBytes) {
        if (size > 0) rotate(t);
        else [day, rotateAt] = [dayOf(t), nextMidnight(t)];
      }
      size += Buffer.byteLength(chunk);
      return boom.write(chunk);
    },
    flushSync() {
      boom.flushSync();
    },
  };
}
