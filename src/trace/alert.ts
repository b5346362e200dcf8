// `wxgate alert` without the command line: read the alert, read the logs of its window,
// analyse, and list what to check with the answers the logs already give.
import { alertWindow, analyzeAlert, CONTEXT_MS, type AlertAnalysis, type AnalyzeOptions } from './alert-analyze.js';
import { checklist, type CheckResult } from './alert-checklist.js';
import { recogniseKind, type AlertKind } from './alert-kinds.js';
import { describeUnderstood, parseAlert, type ParsedAlert } from './alert-parse.js';
import { NGINX_ERROR_LAYER, type LogEvent } from './event.js';
import { PROCESS_LINE_NEEDLES } from './process-lines.js';
import type { LineSource } from './read-lines.js';
import { scanLogs } from './scan.js';

export interface AlertReport {
  alert: Omit<ParsedAlert, 'raw'>;
  kind: AlertKind;
  analysis: AlertAnalysis;
  checklist: CheckResult[];
  lines: number;
}

export class AlertTextError extends Error {
  readonly code = 'alert_unreadable';
}

export async function explainAlert(text: string, sources: LineSource[], options: AnalyzeOptions = {}): Promise<AlertReport> {
  const alert = parseAlert(text);
  if (alert.time === undefined) {
    const what = alert.timeText ? `the time "${alert.timeText}" is not one this tool reads` : 'no time in the alert';
    throw new AlertTextError(`${what}: expected "时间: 2014-12-01 20:12:00" (or 時間:, an all-Chinese date, epoch seconds); understood: ${describeUnderstood(alert)}`);
  }
  const kind = recogniseKind(alert.content, text);
  const { from, to } = alertWindow(alert, kind, options);
  // The analysis reads access and receive lines, nginx's errors and wxgate's process lines
  // (those also a while around the window); later layers only for the sample's timeline.
  const openid = alert.sample.openid;
  const keep = (e: LogEvent): boolean =>
    e.layer === 'access' || e.layer === 'receive' || e.layer === NGINX_ERROR_LAYER || e.life !== undefined || (openid !== undefined && e.openid === openid);
  const around = { from: from - CONTEXT_MS, to: to + CONTEXT_MS, needles: PROCESS_LINE_NEEDLES };
  // The window's worker, handler and send lines matter only for the sample: skip them unparsed.
  const later = ['"layer":"worker"', '"layer":"send"', '"layer":"handler"', '"layer":"token"'];
  const lineKeep = (line: string): boolean => (openid !== undefined && line.includes(openid)) || !later.some((l) => line.includes(l));
  const { events, lines, spans } = await scanLogs({ sources, from, to, around, keep, lineKeep });
  const inWindow = events.filter((e) => (e.end >= from && e.end <= to) || e.life !== undefined || e.layer === NGINX_ERROR_LAYER);
  const analysis = analyzeAlert(alert, kind, inWindow, { ...options, spans });
  const { raw: _raw, ...shown } = alert;
  return { alert: shown, kind, analysis, checklist: checklist({ alert, kind, analysis }), lines };
}
