// WXGATE_HEAP_GROWING_PERCENT (issue 15, the campaign's RSS): it reaches V8 in the process that
// reads it, 0 leaves V8's own factor, and a bad value stops serve, worker and all at start with
// the configuration error naming the variable.
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { ConfigError } from '../src/errors.js';
import { startWxgateChild } from './helpers/wxgate-child.js';

const run = promisify(execFile);
const base = { WECHAT_APPID: 'wx1234567890', WECHAT_TOKEN: 'abc123' };

async function peakHeapMb(percent: string): Promise<number> {
  const { stdout } = await run(process.execPath, ['--import', 'tsx', 'test/fixtures/heap/growth-child.ts'], {
    env: { ...process.env, ...base, WXGATE_HEAP_GROWING_PERCENT: percent },
  });
  return (JSON.parse(stdout) as { peakMb: number }).peakMb;
}

describe('WXGATE_HEAP_GROWING_PERCENT', () => {
  it('has a default in range, and takes 0 (V8\'s own factor) to 300', () => {
    const d = loadConfig(base).heapGrowingPercent;
    expect(d).toBeGreaterThanOrEqual(0);
    expect(d).toBeLessThanOrEqual(300);
    expect(loadConfig({ ...base, WXGATE_HEAP_GROWING_PERCENT: '0' }).heapGrowingPercent).toBe(0);
    expect(loadConfig({ ...base, WXGATE_HEAP_GROWING_PERCENT: '300' }).heapGrowingPercent).toBe(300);
  });

  it.each(['-1', '301', '12.5', 'ten'])('%s: a configuration error naming the variable', (value) => {
    expect(() => loadConfig({ ...base, WXGATE_HEAP_GROWING_PERCENT: value })).toThrow(ConfigError);
    expect(() => loadConfig({ ...base, WXGATE_HEAP_GROWING_PERCENT: value })).toThrow(/WXGATE_HEAP_GROWING_PERCENT/);
  });

  it('reaches V8: the heap runs less far ahead of what it keeps than with V8\'s own factor', { timeout: 60_000 }, async () => {
    const own = await peakHeapMb('0');
    const bounded = await peakHeapMb('10');
    // The same allocations, one process each: about 131 against 80 MB on Node 20.
    expect(bounded).toBeLessThan(own * 0.8);
  });

  for (const command of ['serve', 'worker', 'all']) {
    it(`${command}: a bad value stops it at start (exit 78), naming the variable`, { timeout: 60_000 }, async () => {
      const spoolDir = await mkdtemp(join(tmpdir(), 'wxgate-heap-'));
      try {
        const child = startWxgateChild([command], { ...base, WXGATE_SPOOL_DIR: spoolDir, HOST: '127.0.0.1', PORT: '0', WXGATE_HEAP_GROWING_PERCENT: '1000' });
        expect(await child.exit(30_000)).toEqual({ code: 78, signal: null });
        expect(child.stderr()).toContain('WXGATE_HEAP_GROWING_PERCENT="1000" is not valid');
      } finally {
        await rm(spoolDir, { recursive: true, force: true });
      }
    });
  }
});
