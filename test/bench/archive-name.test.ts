import { describe, expect, it } from 'vitest';
import { archiveName, cpuSlug, recordedModel } from '../../bench/lib/archive-name.js';

describe('cpuSlug', () => {
  it('keeps the vendor, family and model, without trademarks and filler', () => {
    expect(cpuSlug('Intel(R) Xeon(R) Processor')).toBe('intel-xeon');
    expect(cpuSlug('AMD EPYC')).toBe('amd-epyc');
    expect(cpuSlug('AMD EPYC 7B13 64-Core Processor')).toBe('amd-epyc-7b13-64-core');
    expect(cpuSlug('Intel(R) Core(TM) i7-8650U CPU @ 1.90GHz')).toBe('intel-core-i7-8650u-1-90ghz');
    expect(cpuSlug('')).toBe('unknown-cpu');
  });
});

describe('archiveName', () => {
  it('names a record by its UTC date and time and the CPU model', () => {
    expect(archiveName('receive', '2026-11-29T21:03:39.196Z', 'AMD EPYC')).toBe('receive-2026-11-29-2103-amd-epyc.json');
    expect(archiveName('e2e', '2026-11-22T03:35:39.533Z', 'Intel(R) Xeon(R) Processor')).toBe('e2e-2026-11-22-0335-intel-xeon.json');
    expect(() => archiveName('receive', 'yesterday', 'AMD EPYC')).toThrow(RangeError);
  });
});

describe('recordedModel', () => {
  const readme = '## receive\n\n<!-- receive:begin -->\nRecorded 2026-11-29T21:03:39.196Z on 2 × AMD EPYC, Node v20.20.2 (results/receive.json).\n';
  it("reads the CPU model from the README's line for that record", () => {
    expect(recordedModel(readme, '2026-11-29T21:03:39.196Z')).toBe('AMD EPYC');
    expect(recordedModel(readme, '2026-11-22T00:00:00.000Z')).toBeUndefined();
  });
});
