// Reads log sources and keeps only the events asked for. A line is JSON.parse'd only after a
// cheap substring test (the openid or request id) and a cheap time test pass, so gigabytes
// of other users' lines cost a scan and nothing more.
import type { LogEvent } from './event.js';
import { parseLine, quickTime } from './parse-line.js';
import { forEachLine, type LineSource } from './read-lines.js';

export interface ScanOptions {
  sources: LineSource[];
  /** Keep only lines containing at least one of these strings (an openid, a request id). */
  needles?: string[];
  /** Keep only lines written in [from, to], epoch ms. */
  from?: number;
  to?: number;
  /** A last say on each parsed event (exact field matches after the substring test). */
  keep?: (e: LogEvent) => boolean;
}

export interface ScanResult {
  events: LogEvent[];
  /** Lines read, and lines that parsed into a kept event. */
  lines: number;
  kept: number;
}

function makeLineTest({ needles = [], from, to }: ScanOptions): (line: string) => boolean {
  const needle = needles.length === 1 ? needles[0]! : undefined;
  const hasNeedle =
    needles.length === 0
      ? () => true
      : needle !== undefined
        ? (line: string) => line.includes(needle)
        : (line: string) => needles.some((n) => line.includes(n));
  if (from === undefined && to === undefined) return hasNeedle;
  const lo = from ?? -Infinity;
  const hi = to ?? Infinity;
  return (line) => {
    if (!hasNeedle(line)) return false;
    const t = quickTime(line);
    return t === undefined || (t >= lo && t <= hi);
  };
}

export async function scanLogs(options: ScanOptions): Promise<ScanResult> {
  const { sources, from = -Infinity, to = Infinity, keep = () => true } = options;
  const test = makeLineTest(options);
  const events: LogEvent[] = [];
  let lines = 0;
  const onLine = (line: string): void => {
    lines++;
    if (!test(line)) return;
    const e = parseLine(line);
    if (e === undefined || e.end < from || e.end > to || !keep(e)) return;
    events.push(e);
  };
  for (const source of sources) await forEachLine(source, onLine);
  return { events, lines, kept: events.length };
}
