// An AlertReport as text: the alert restated, what the logs say, the verdict, the sample
// message's timeline, and the checklist with what the logs already answer ticked.
import type { AlertReport } from './alert.js';
import type { FailureGroup } from './alert-analyze.js';
import { renderTimeline } from './render-timeline.js';
import { formatBeijing, formatMs } from './time.js';

function sampleText(fields: Record<string, string>): string {
  return Object.entries(fields)
    .filter(([k]) => k !== 'response_content')
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
}

function failureLine(f: FailureGroup): string {
  const e = f.example;
  const who = [e.openid ? `openid ${e.openid}` : '', e.reqId ? `reqId ${e.reqId}` : ''].filter((x) => x !== '').join(' ');
  return `    ${String(f.count).padStart(5)}  ${f.layer}   e.g. ${formatBeijing(e.time, { date: false })} ${who}: ${e.text}`;
}

export function renderAlertReport(r: AlertReport): string {
  const { alert, kind, analysis: a } = r;
  const c = a.counts;
  const out: string[] = [];
  out.push(`WeChat alert: ${kind.keyword} — ${kind.title}`);
  if (alert.appid || alert.nickname) out.push(`  account   ${alert.appid ?? '?'}${alert.nickname ? ` (${alert.nickname})` : ''}`);
  const count = alert.count !== undefined ? `, ${alert.count} times in ${alert.countMinutes ?? 5} min` : '';
  out.push(`  first     ${alert.time !== undefined ? `${formatBeijing(alert.time, { millis: false })} +08:00` : alert.timeText ?? '?'}${count}`);
  const sample = sampleText(alert.sample.fields);
  if (sample) out.push(`  sample    ${sample}`);
  if (alert.sample.responseContent !== undefined) out.push(`  answered  ${JSON.stringify(alert.sample.responseContent)}`);
  out.push(`  window    ${formatBeijing(a.window.from, { millis: false })} → ${formatBeijing(a.window.to, { date: false, millis: false })} (+08:00), ${r.lines} lines read`);
  out.push('');
  out.push(`What the logs say (${a.filter?.label ?? 'all pushes'})`);
  out.push(`  arrived             ${c.deliveries}: ${c.atNginx} at nginx, ${c.atReceiver} at a receiver, ${c.nginxOnly} at nginx only`);
  out.push(`  answered success    ${c.answered} within 5 s`);
  out.push(`  took 5 s or more    ${c.slow}`);
  out.push(`  refused             ${c.rejected}`);
  out.push(`  found no receiver   ${c.unreached}`);
  if (a.layers.length > 0) {
    out.push(`  per layer           ${'n'.padStart(6)} ${'p50'.padStart(9)} ${'p95'.padStart(9)} ${'max'.padStart(9)}`);
    for (const l of a.layers) {
      out.push(`    ${l.layer.padEnd(18)}${String(l.n).padStart(6)} ${formatMs(l.p50).padStart(9)} ${formatMs(l.p95).padStart(9)} ${formatMs(l.max).padStart(9)}`);
    }
  }
  if (a.failures.length > 0) {
    out.push(`  failures of this kind, by layer:`);
    out.push(...a.failures.map(failureLine));
  }
  if (a.otherFailures.length > 0) {
    out.push(`  other failures in the window:`);
    out.push(...a.otherFailures.map(failureLine));
  }
  if (a.gap) out.push(`  longest pause       ${formatMs(a.gap.ms)} (${formatBeijing(a.gap.from, { date: false })} → ${formatBeijing(a.gap.to, { date: false })})`);
  out.push('');
  out.push(`Verdict: ${a.verdict.layer}`);
  out.push(`  ${a.verdict.detail}`);
  if (a.sample.length > 0) {
    out.push('');
    out.push(`The alert's sample message (OpenID ${alert.sample.openid}${alert.sample.stamp !== undefined ? `, Stamp ${alert.sample.stamp}` : ''})`);
    for (const tl of a.sample) out.push(renderTimeline(tl).replace(/^/gm, '  '));
  } else if (alert.sample.openid) {
    out.push('');
    out.push(`The alert's sample message (OpenID ${alert.sample.openid}) is not in these logs for the window.`);
  }
  out.push('');
  out.push('Checklist');
  for (const item of r.checklist) {
    out.push(`  [${item.answered ? 'x' : ' '}] ${item.text}${item.answer ? `\n        ${item.answer}` : ''}`);
  }
  return `${out.join('\n')}\n`;
}
