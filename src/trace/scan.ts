// Reads log sources and keeps only the events asked for. A line is JSON.parse'd only after a
// cheap substring test (the openid or request id) and a cheap time test pass, so gigabytes
// of other users' lines cost a scan and nothing more. Along the way it notes the time span each
// source covers (its first and last timed line: logs are written in time order), so a report
// can say when the logs do not cover what was asked.
import type { LogEvent } from './event.js';
import { parseLine, quickTime } from './parse-line.js';
import { forEachLine, type LineSource } from './read-lines.js';
import { BEIJING_OFFSET_MS } from './time.js';

export interface ScanOptions {
  sources: LineSource[];
  /** Keep only lines containing at least one of these strings (an openid, a request id). */
  needles?: string[];
  /** Keep only lines written in [from, to], epoch ms. */
  from?: number;
  to?: number;
  /**
   * A wider window in which only lines containing one of `needles` are read (process starts
   * and stops just before an alert's window, say).
   */
  around?: { from: number; to: number; needles: readonly string[] };
  /** A say on each line in the window before it is parsed (a cheap substring test). */
  lineKeep?: (line: string) => boolean;
  /** A last say on each parsed event (exact field matches after the substring test). */
  keep?: (e: LogEvent) => boolean;
}

export interface SourceSpan {
  name: string;
  lines: number;
  /** First and last timed line, epoch ms; absent when no line had a time. */
  first?: number;
  last?: number;
  /** nginx's error log: the same as wall clocks, placed once the zone is known. */
  firstWall?: number;
  lastWall?: number;
}

export interface ScanResult {
  events: LogEvent[];
  /** Lines read, and lines that parsed into a kept event. */
  lines: number;
  kept: number;
  spans: SourceSpan[];
}

type Verdict = 'parse' | 'around' | 'skip';

function makeLineTest({ needles = [], from, to, around }: ScanOptions): (line: string, t: number | undefined) => Verdict {
  const needle = needles.length === 1 ? needles[0]! : undefined;
  const hasNeedle =
    needles.length === 0
      ? () => true
      : needle !== undefined
        ? (line: string) => line.includes(needle)
        : (line: string) => needles.some((n) => line.includes(n));
  const lo = from ?? -Infinity;
  const hi = to ?? Infinity;
  return (line, t) => {
    if (t !== undefined && (t < lo || t > hi)) {
      if (around && t >= around.from && t <= around.to && around.needles.some((n) => line.includes(n))) return 'around';
      return 'skip';
    }
    return hasNeedle(line) ? 'parse' : 'skip';
  };
}

/** nginx's error log has no zone: take the access log's ($time_local), else Beijing time. */
function placeWallClocks(events: LogEvent[], spans: SourceSpan[], seenZone: number | undefined): void {
  const zone = seenZone ?? events.find((e) => e.access?.zoneOffsetMs !== undefined)?.access?.zoneOffsetMs ?? BEIJING_OFFSET_MS;
  for (const e of events) if (e.wallMs !== undefined) e.end = e.wallMs - zone;
  for (const s of spans) {
    if (s.firstWall !== undefined) s.first = s.firstWall - zone;
    if (s.lastWall !== undefined) s.last = s.lastWall - zone;
  }
}

/** The zone of an nginx access line's $time_local ("…:07:44:22 +0000"), ms east of UTC. */
function zoneOf(line: string): number | undefined {
  const m = /\d{4}:\d{2}:\d{2}:\d{2} ([+-])(\d{2})(\d{2})["\]]/.exec(line);
  return m ? (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 3600_000 + Number(m[3]) * 60_000) : undefined;
}

/** An error-log line's wall clock (`2026/12/03 07:44:22`), as if UTC. */
function wallOf(line: string): number | undefined {
  const m = /^(\d{4})\/(\d{2})\/(\d{2}) (\d{2}):(\d{2}):(\d{2}) \[/.exec(line);
  return m ? Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6])) : undefined;
}

export async function scanLogs(options: ScanOptions): Promise<ScanResult> {
  const { sources, from = -Infinity, to = Infinity, around, keep = () => true, lineKeep } = options;
  const test = makeLineTest(options);
  const events: LogEvent[] = [];
  const spans: SourceSpan[] = [];
  let lines = 0;
  let zone: number | undefined;
  for (const source of sources) {
    const span: SourceSpan = { name: source.name, lines: 0 };
    let lastLine = '';
    const onLine = (line: string): void => {
      span.lines++;
      lastLine = line;
      const t = quickTime(line);
      if (span.first === undefined && t !== undefined) span.first = t;
      if (zone === undefined) zone = zoneOf(line);
      if (span.first === undefined && span.firstWall === undefined) {
        const w = wallOf(line);
        if (w !== undefined) span.firstWall = w;
      }
      const verdict = test(line, t);
      if (verdict === 'skip' || (verdict === 'parse' && lineKeep !== undefined && !lineKeep(line))) return;
      const e = parseLine(line);
      if (e === undefined || !keep(e)) return;
      if (e.wallMs === undefined) {
        const lo = verdict === 'around' ? around!.from : from;
        const hi = verdict === 'around' ? around!.to : to;
        if (e.end < lo || e.end > hi) return;
      }
      if (span.first === undefined && e.wallMs === undefined) span.first = e.end;
      events.push(e);
    };
    await forEachLine(source, onLine);
    if (span.firstWall !== undefined) {
      const w = wallOf(lastLine);
      if (w !== undefined) span.lastWall = w;
    } else {
      const t = quickTime(lastLine) ?? parseLine(lastLine)?.end;
      if (t !== undefined) span.last = t;
    }
    lines += span.lines;
    spans.push(span);
  }
  placeWallClocks(events, spans, zone);
  const placed = events.filter((e) => e.wallMs === undefined || (e.end >= (around?.from ?? from) && e.end <= (around?.to ?? to)));
  return { events: placed, lines, kept: placed.length, spans };
}
