// `wxgate trace` without the command line: scan the logs for one user's (or one request's)
// lines, group them into messages, keep the messages in the time window, build timelines.
import type { LogEvent } from './event.js';
import { groupMessages, type Message } from './group.js';
import type { LineSource } from './read-lines.js';
import { scanLogs } from './scan.js';
import { buildTimeline, type Timeline } from './timeline.js';

export interface TraceQuery {
  openid?: string;
  reqId?: string;
  appid?: string;
  /** Window, epoch ms: a message is kept if any of its lines, or its CreateTime, falls in it. */
  from?: number;
  to?: number;
}

export interface TraceResult {
  timelines: Timeline[];
  lines: number;
}

function inWindow(m: Message, from: number, to: number): boolean {
  const stamp = m.identity.stamp;
  if (stamp !== undefined && stamp * 1000 >= from && stamp * 1000 <= to) return true;
  return m.events.some((e) => e.end >= from && e.end - (e.ms ?? 0) <= to);
}

export async function traceLogs(sources: LineSource[], q: TraceQuery): Promise<TraceResult> {
  const needles = [q.openid, q.reqId].filter((n): n is string => n !== undefined && n !== '');
  if (needles.length === 0) throw new Error('trace needs an openid or a request id');
  const keep = (e: LogEvent): boolean => (q.openid !== undefined && e.openid === q.openid) || (q.reqId !== undefined && e.reqId === q.reqId);
  const { events, lines } = await scanLogs({ sources, needles, keep });
  const from = q.from ?? -Infinity;
  const to = q.to ?? Infinity;
  const messages = groupMessages(events).filter(
    (m) => inWindow(m, from, to) && (q.appid === undefined || m.identity.appid === undefined || m.identity.appid === q.appid),
  );
  return { timelines: messages.map(buildTimeline), lines };
}
