// Latency summaries for a report: count, median, 95th percentile, maximum.

export interface Summary {
  n: number;
  p50?: number;
  p95?: number;
  max?: number;
}

/** Nearest-rank percentile of sorted values. */
function rank(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

export function summarize(values: number[]): Summary {
  if (values.length === 0) return { n: 0 };
  const sorted = [...values].sort((a, b) => a - b);
  return { n: sorted.length, p50: rank(sorted, 50), p95: rank(sorted, 95), max: sorted[sorted.length - 1]! };
}
