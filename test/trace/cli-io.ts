// Runs a command's run(argv, io) with captured output, as the CLI tests need.
import { PassThrough, Readable } from 'node:stream';
import type { CliIo } from '../../src/cli/trace.js';

export async function runCli(
  run: (argv: string[], io: CliIo) => Promise<number>,
  argv: string[],
  stdin: string | Buffer = '',
): Promise<{ code: number; stdout: string; stderr: string }> {
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  const stdout = new PassThrough().on('data', (c: Buffer) => out.push(c));
  const stderr = new PassThrough().on('data', (c: Buffer) => err.push(c));
  const code = await run(argv, { stdin: Readable.from([typeof stdin === 'string' ? Buffer.from(stdin) : stdin]), stdout, stderr });
  return { code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') };
}
