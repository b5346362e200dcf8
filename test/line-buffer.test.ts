import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { createLineBuffer } from '../src/line-buffer.js';

function fakeSink() {
  const chunks: string[] = [];
  let syncFlushes = 0;
  return {
    chunks,
    syncFlushes: () => syncFlushes,
    write(chunk: string) {
      chunks.push(chunk);
      return true;
    },
    flushSync() {
      syncFlushes += 1;
    },
  };
}

describe('createLineBuffer', () => {
  it('hands lines over in order, one chunk once minLength is reached', () => {
    const sink = fakeSink();
    const lines = createLineBuffer({ sink }, { minLength: 10 });
    lines.write('aaaa\n');
    expect(sink.chunks).toEqual([]);
    lines.write('bbbb\n');
    expect(sink.chunks).toEqual(['aaaa\nbbbb\n']);
    lines.write('c\n');
    expect(sink.chunks).toHaveLength(1);
  });

  it('flush hands over what is pending; flushSync also writes the sink out', () => {
    const sink = fakeSink();
    const lines = createLineBuffer({ sink }, { minLength: 4096 });
    lines.write('one\n');
    let called = false;
    lines.flush(() => {
      called = true;
    });
    expect(called).toBe(true);
    expect(sink.chunks).toEqual(['one\n']);
    lines.flush();
    expect(sink.chunks).toHaveLength(1); // nothing pending: no empty chunk
    lines.write('two\n');
    lines.flushSync();
    expect(sink.chunks).toEqual(['one\n', 'two\n']);
    expect(sink.syncFlushes()).toBe(1);
  });
});

describe('createLineBuffer on an idle process', () => {
  it('hands a lone line over within maxDelayMs, not only once minLength is reached', async () => {
    const sink = fakeSink();
    const lines = createLineBuffer({ sink }, { minLength: 4096, maxDelayMs: 20 });
    lines.write('alone\n');
    expect(sink.chunks).toEqual([]); // batched, not written per line
    await new Promise((r) => setTimeout(r, 200)); // 10× the delay: a bound, not a measurement
    expect(sink.chunks).toEqual(['alone\n']);
    lines.write('later\n');
    await new Promise((r) => setTimeout(r, 200));
    expect(sink.chunks).toEqual(['alone\n', 'later\n']);
  });
});

describe('the stdout logger', () => {
  it('loses no line when the process exits right after logging', async () => {
    const script = [
      "const { createLogger } = await import('./src/logger.ts');",
      'const log = createLogger();',
      "for (let i = 0; i < 3000; i++) log.info({ layer: 'receive', i }, 'line');",
      'process.exit(0);',
    ].join('\n');
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: process.cwd(), maxBuffer: 16 * 1024 * 1024 });
    const seen = stdout.trim().split('\n').map((l) => (JSON.parse(l) as { i: number }).i);
    expect(seen).toEqual(Array.from({ length: 3000 }, (_, i) => i));
  });
});
