// A Timeline as text for a terminal: a header naming the message, one row per layer, and
// the outcome. Times are Beijing time, as in WeChat's alerts.
import type { Timeline, TimelineRow } from './timeline.js';
import { formatBeijing, formatMs } from './time.js';

function header(tl: Timeline): string {
  const id = tl.identity;
  const kind = id.campaignId !== undefined ? `template message of campaign ${id.campaignId}` : id.msgType === 'event' && id.event ? `event ${id.event}` : id.msgType;
  const stamp = id.stamp !== undefined ? `stamp ${id.stamp} (${formatBeijing(id.stamp * 1000, { millis: false })} +08:00)` : undefined;
  const parts = [
    `openid ${id.openid ?? '?'}`,
    id.appid,
    kind,
    stamp,
    id.msgId !== undefined ? `msgId ${id.msgId}` : undefined,
    id.dedupKey !== undefined ? `dedupKey ${id.dedupKey}` : undefined,
  ];
  return parts.filter((p) => p !== undefined).join(' · ');
}

function cells(row: TimelineRow): string[] {
  const flag = row.flag ? `${row.flag.kind === 'wechat_timeout' ? '!!' : '!'} ${row.flag.text}` : '';
  const marks = [flag, row.slowest ? '<- slowest' : ''].filter((m) => m !== '');
  const own = row.selfMs !== undefined && row.selfMs !== row.ms ? formatMs(row.selfMs) : '';
  const detail = [row.detail, row.reqId !== undefined && row.layer === 'access' ? `reqId ${row.reqId}` : ''].filter((d) => d !== '').join('  ');
  return [
    formatBeijing(row.start, { date: false }),
    row.delivery !== undefined ? `#${row.delivery}` : '',
    row.layer,
    formatMs(row.ms),
    own,
    row.ok ? row.outcome : `${row.outcome} ✗`,
    [detail, ...marks].filter((d) => d !== '').join('  '),
  ];
}

function table(rows: string[][]): string[] {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd());
}

export function renderTimeline(tl: Timeline): string {
  const head = ['time +08:00', 'try', 'layer', 'took', 'own', 'outcome', 'detail'];
  const lines = [
    header(tl),
    `  ${formatBeijing(tl.start, { millis: false })} → ${formatBeijing(tl.end, { date: false, millis: false })}, ${formatMs(tl.totalMs)} end to end, ${tl.deliveries.length} deliver${tl.deliveries.length === 1 ? 'y' : 'ies'}`,
    ...table([head, ...tl.rows.map(cells)]).map((l) => `  ${l}`),
  ];
  if (tl.overLimit) lines.push(`  !! an answer took WeChat's 5 s limit or more: WeChat counted a timeout and retried`);
  const after = tl.rows.filter((r) => r.flag?.kind === 'after_ack');
  if (after.length > 0) lines.push(`  !  ${after.map((r) => r.layer).join(', ')} took 5 s or more after WeChat had its success: the user waited for the reply, WeChat did not time out`);
  lines.push(`  => ${tl.outcome.kind}: ${tl.outcome.text}`);
  return lines.join('\n');
}
