// The figures the suites quote: the median of repeated measurements, with their spread beside
// it, because on shared cores one measurement is one window of the machine's noise.

export interface Spread {
  readonly median: number;
  readonly min: number;
  readonly max: number;
}

export function median(xs: readonly number[]): number {
  if (xs.length === 0) throw new RangeError('the median of no measurements');
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** The median and the range of the measurements, each rounded to `decimals`. */
export function withSpread(xs: readonly number[], decimals = 2): Spread {
  const round = (x: number) => Math.round(x * 10 ** decimals) / 10 ** decimals;
  return { median: round(median(xs)), min: round(Math.min(...xs)), max: round(Math.max(...xs)) };
}
