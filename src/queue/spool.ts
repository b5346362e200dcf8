// The local spool: while Redis is unreachable, each acknowledged push is appended as one JSON
// line and fsynced before WeChat gets `success`, so a crash loses nothing that was acked.
// Each process appends to files of its own (`spool-<host>-<pid>-<run>-<generation>.jsonl`); the
// drainer takes a file by renaming it to `.draining` once no append is in flight on it, and
// appends after that open a new generation, so no line can land in a file being drained.
// The run id tells this process from an earlier one that had the same host and pid (a
// container restarted as pid 1, a pid reused after a reboot): that one's files are orphans.
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { mkdir, open, readdir, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { UnavailableError } from '../errors.js';
import type { SpooledJob } from './jobs.js';

export const ACTIVE_SUFFIX = '.jsonl';
export const DRAINING_SUFFIX = '.draining';

export interface Spool {
  readonly dir: string;
  readonly owner: string;
  /** Durable once resolved (the whole line written and fdatasync'ed); rejected with spool_failed, never acknowledge the push. */
  append(job: SpooledJob): Promise<void>;
  /** Hands the current file (and any a failed append left) to the drainer: returns the current one's `.draining` path, or undefined if none. */
  rotate(): Promise<string | undefined>;
  /** Lines appended by this process since it started. */
  readonly appended: number;
  close(): Promise<void>;
}

export interface SpoolOptions {
  dir: string;
  owner?: string;
  /** Opens a generation's file for appending (tests inject failing and short writes). */
  openFile?: (path: string) => Promise<SpoolFileHandle>;
}

/** The calls the spool makes on a file (a node:fs FileHandle has them). */
export interface SpoolFileHandle {
  write(buffer: Uint8Array, offset: number, length: number): Promise<{ bytesWritten: number }>;
  datasync(): Promise<void>;
  close(): Promise<void>;
}

interface Generation {
  readonly path: string;
  readonly fh: Promise<SpoolFileHandle>;
  pending: number;
  /** The last line's write: a line is written once the one before it is whole (or failed). */
  tail: Promise<void>;
  /** A write failed: the file may end in part of a line, so no line is written after it. */
  broken: boolean;
  /** Resolves once closed: whether the file was ever opened. */
  closed?: Promise<boolean>;
  handedOver?: Promise<string | undefined>;
}

/** One per process: the module is loaded once, and every spool of the process shares it. */
const RUN = `r${randomBytes(5).toString('hex')}`;

/** `<host>-<pid>-<run>`; the host has no `-` (so the name parses back). */
export function spoolOwner(): string {
  return `${hostname().replace(/[^A-Za-z0-9_.]/g, '_')}-${process.pid}-${RUN}`;
}

export interface SpoolOwner {
  readonly host: string;
  readonly pid: number;
  /** Absent in the names written before run ids (`<host>-<pid>`). */
  readonly run?: string;
}

// A run id starts with a letter, so an old name's generation (digits) is never read as one.
const OWNER = /^(.+)-(\d+)(?:-(r[0-9a-z]+))?$/;
const FILE = /^spool-(.+-\d+(?:-r[0-9a-z]+)?)-\d+(\.jsonl|\.draining)$/;

export function parseSpoolOwner(owner: string): SpoolOwner | undefined {
  const m = OWNER.exec(owner);
  return m ? { host: m[1]!, pid: Number(m[2]), ...(m[3] ? { run: m[3] } : {}) } : undefined;
}

function spoolFailed(dir: string, err: unknown): UnavailableError {
  return new UnavailableError('spool_failed', `could not write the spool in ${dir}: ${(err as Error).message}`, err);
}

export function createSpool({ dir, owner = spoolOwner(), openFile = (path) => open(path, 'a') }: SpoolOptions): Spool {
  let current: Generation | undefined;
  // Taken from appends (a failed one, or a rotate) but not renamed yet: each rotate() tries again.
  const retired = new Set<Generation>();
  let appended = 0;
  let counter = 0;

  function generation(): Generation {
    if (!current) {
      counter += 1;
      const path = join(dir, `spool-${owner}-${Date.now()}${counter}${ACTIVE_SUFFIX}`);
      current = { path, fh: mkdir(dir, { recursive: true }).then(() => openFile(path)), pending: 0, tail: Promise.resolve(), broken: false };
    }
    return current;
  }

  /**
   * Writes the whole line: a write may take only part of it (a full disk, a file-size limit),
   * and the rest is written before the line counts as written. One line at a time, so that no
   * other line lands inside it. After a failed write the file may end in a torn line: a line
   * written after it would continue that line and be lost to the drainer, so none is.
   */
  function writeLine(gen: Generation, line: Buffer): Promise<void> {
    const turn = gen.tail.then(async () => {
      if (gen.broken) throw new Error('an earlier write to this spool file failed');
      try {
        const fh = await gen.fh;
        for (let offset = 0; offset < line.length; ) {
          const { bytesWritten } = await fh.write(line, offset, line.length - offset);
          if (!(bytesWritten > 0)) throw new Error(`a write took ${bytesWritten} bytes`); // never loop forever
          offset += bytesWritten;
        }
      } catch (err) {
        gen.broken = true; // before the next turn runs
        throw err;
      }
    });
    gen.tail = turn.catch(() => undefined);
    return turn;
  }

  /** Once no append is in flight on it. A close error loses nothing: every acked line was fsynced. */
  function settle(gen: Generation): Promise<boolean> {
    gen.closed ??= (async () => {
      while (gen.pending > 0) await new Promise((r) => setImmediate(r));
      const fh = await gen.fh.catch(() => undefined);
      await fh?.close().catch(() => undefined);
      return fh !== undefined;
    })();
    return gen.closed;
  }

  /** Closes the file to appends and renames it for the drainer: its `.draining` path, or undefined if it never existed. */
  function handOver(gen: Generation): Promise<string | undefined> {
    if (current === gen) current = undefined;
    retired.add(gen);
    gen.handedOver ??= (async () => {
      if (!(await settle(gen))) {
        retired.delete(gen); // its open failed: no line in it
        return undefined;
      }
      const target = gen.path.slice(0, -ACTIVE_SUFFIX.length) + DRAINING_SUFFIX;
      try {
        await rename(gen.path, target);
      } catch (err) {
        gen.handedOver = undefined; // the next rotate() tries again (and else the next run claims it)
        throw err;
      }
      retired.delete(gen);
      return target;
    })();
    return gen.handedOver;
  }

  return {
    dir,
    owner,
    get appended() {
      return appended;
    },
    async append(job) {
      let line: Buffer;
      try {
        line = Buffer.from(`${JSON.stringify(job)}\n`);
      } catch (err) {
        throw spoolFailed(dir, err); // nothing written: the file takes the next line as before
      }
      const gen = generation();
      gen.pending += 1;
      let failure: { err: unknown } | undefined;
      try {
        await writeLine(gen, line);
        await (await gen.fh).datasync();
        appended += 1;
      } catch (err) {
        failure = { err };
      } finally {
        gen.pending -= 1;
      }
      if (!failure) return;
      // A file that failed a write takes no more lines, but the lines acked in it before are the
      // drainer's: it gets the file now (if the rename fails: at the next rotate(), or the next run).
      await handOver(gen).catch(() => undefined);
      throw spoolFailed(dir, failure.err);
    },
    async rotate() {
      for (const gen of retired) await handOver(gen).catch(() => undefined);
      const gen = current;
      return gen ? handOver(gen) : undefined;
    },
    async close() {
      const gens = [...retired, ...(current ? [current] : [])];
      current = undefined;
      await Promise.all(gens.map(settle));
    },
  };
}

export interface SpoolFile {
  readonly path: string;
  readonly draining: boolean;
  /** host-pid-run of the writer (host-pid in names from before run ids), parsed from the name. */
  readonly owner: string;
}

/** Spool files in `dir`, for the drainer and /readyz. */
export async function listSpoolFiles(dir: string): Promise<SpoolFile[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const files: SpoolFile[] = [];
  for (const name of names) {
    const m = FILE.exec(name);
    if (m) files.push({ path: join(dir, name), draining: m[2] === DRAINING_SUFFIX, owner: m[1]! });
  }
  return files.sort((a, b) => a.path.localeCompare(b.path));
}
