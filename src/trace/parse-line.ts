// Any log line to a LogEvent: wxgate's pino JSON, nginx's JSON access format, or nginx's
// text access format. Lines that are none of these (startup messages, stack traces) give
// undefined and are skipped.
import type { LogEvent } from './event.js';
import { parseAccessJson, parseAccessText } from './parse-access.js';
import { isErrorLogLine, parseErrorLine } from './parse-error-log.js';
import { parseWxgate, type Json } from './parse-wxgate.js';
import { parseTimeLocal } from './time.js';

export function parseLine(line: string): LogEvent | undefined {
  // JSON, possibly behind a prefix (docker/journald/kubectl add one).
  const brace = line.charCodeAt(0) === 123 ? 0 : line.indexOf('{"');
  if (brace >= 0) {
    let o: unknown;
    try {
      o = JSON.parse(brace === 0 ? line : line.slice(brace));
    } catch {
      o = undefined;
    }
    if (o !== null && typeof o === 'object' && !Array.isArray(o)) {
      const j = o as Json;
      if (j.layer === 'access' || (j.layer === undefined && j.request_time !== undefined)) return parseAccessJson(j);
      return parseWxgate(j);
    }
  }
  if (isErrorLogLine(line)) return parseErrorLine(line);
  return parseAccessText(line);
}

function digitsAt(line: string, i: number): number | undefined {
  let j = i;
  if (line.charCodeAt(j) === 34 /* " */) j++; // a number written as a string
  let n = 0;
  let seen = false;
  for (; j < line.length; j++) {
    const c = line.charCodeAt(j) - 48;
    if (c < 0 || c > 9) break;
    n = n * 10 + c;
    seen = true;
  }
  if (!seen) return undefined;
  let ms = n < 1e11 ? n * 1000 : n;
  if (line.charCodeAt(j) === 46 /* . */) {
    // nginx $msec: seconds with a 3-digit fraction
    let frac = 0;
    let scale = 1;
    for (j++; j < line.length && scale < 1000; j++) {
      const c = line.charCodeAt(j) - 48;
      if (c < 0 || c > 9) break;
      frac = frac * 10 + c;
      scale *= 10;
    }
    while (j < line.length && isDigit(line.charCodeAt(j))) j++;
    ms = n * 1000 + Math.round((frac * 1000) / scale);
  }
  // A number ends at a delimiter; "2014-12-01T…" is not one.
  const next = line.charCodeAt(j);
  return Number.isNaN(next) || next === 44 || next === 125 || next === 34 || next === 32 ? ms : undefined;
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/**
 * The line's time in epoch ms without parsing it, for the time-window prefilter; undefined
 * when it cannot tell cheaply (the caller then parses the line).
 */
export function quickTime(line: string): number | undefined {
  let i = line.indexOf('"time":');
  if (i >= 0) return digitsAt(line, i + 7);
  i = line.indexOf('"msec":');
  if (i >= 0) return digitsAt(line, i + 7);
  i = line.indexOf(' [');
  if (i >= 0) {
    const close = line.indexOf(']', i);
    if (close > i) return parseTimeLocal(line.slice(i + 2, close));
  }
  return undefined;
}
