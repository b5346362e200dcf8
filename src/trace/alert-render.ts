// An AlertReport as text: the alert restated, what the logs say, the verdict, the sample
// message's timeline, and the checklist with what the logs already answer ticked.
import type { AlertReport } from './alert.js';
import type { FailureGroup } from './alert-analyze.js';
import { renderShape } from './render-shape.js';
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
  const types = Object.entries(f.types).sort((a, b) => b[1] - a[1]).map(([t, n]) => `${n} ${t}`).join(', ');
  return `    ${String(f.count).padStart(5)}  ${f.layer}  (${types})   e.g. ${formatBeijing(e.time, { date: false })} ${who}: ${e.text}`;
}

export function renderAlertReport(r: AlertReport): string {
  const { alert, kind, analysis: a } = r;
  const c = a.counts;
  const out: string[] = [];
  out.push(`WeChat alert: ${kind.keyword} — ${kind.title}`);
  if (alert.appid || alert.nickname) out.push(`  account   ${alert.appid ?? '?'}${alert.nickname ? ` (${alert.nickname})` : ''}`);
  if (a.account.from === 'option') out.push(`  reading   appid ${a.account.appid} (--appid${a.account.alertAppid ? `; the alert names ${a.account.alertAppid}` : ''})`);
  if (alert.missing.length > 0) out.push(`  missing   ${alert.missing.join(', ')} (not in the alert)`);
  const count = alert.count !== undefined ? `, ${alert.count} times in ${alert.countMinutes ?? 5} min` : '';
  out.push(`  first     ${alert.time !== undefined ? `${formatBeijing(alert.time, { millis: false })} +08:00` : alert.timeText ?? '?'}${count}`);
  const sample = sampleText(alert.sample.fields);
  if (sample) out.push(`  sample    ${sample}`);
  if (alert.sample.responseContent !== undefined) out.push(`  answered  ${JSON.stringify(alert.sample.responseContent)}`);
  out.push(`  window    ${formatBeijing(a.window.from, { millis: false })} → ${formatBeijing(a.window.to, { date: false, millis: false })} (+08:00), ${r.lines} lines read; ${a.coverage.text}`);
  out.push('');
  out.push(`What the logs say (${a.filter?.label ?? 'all pushes'})`);
  out.push(`  arrived             ${c.deliveries}: ${c.atNginx} at nginx, ${c.atReceiver} at a receiver, ${c.nginxOnly} at nginx only`);
  if (c.unknownType > 0) out.push(`    of unknown type   ${c.unknownType} (never reached a receiver, or refused before decryption: counted, not taken for ${a.filter?.label ?? 'any type'})`);
  if (a.account.unnamed > 0) out.push(`    account unnamed   ${a.account.unnamed} (nginx's line alone, on /wechat: taken as ${a.account.appid}'s, the only account these logs serve)`);
  out.push(`  answered success    ${c.answered} within 5 s`);
  out.push(`  took 5 s or more    ${c.slow}`);
  out.push(`  WeChat closed       ${c.abandoned} (499: gave up before nginx answered)`);
  out.push(`  refused             ${c.rejected}`);
  out.push(`  found no receiver   ${c.unreached} (nginx answered 502/503/504: ${c.gatewayErrors})`);
  if (c.stalled > 0) out.push(`  process stalled     ${c.stalled} (the receiver or nginx was not running for seconds)`);
  if (c.otherTypes > 0) out.push(`  other types         ${c.otherTypes} pushes in the window, not counted above`);
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
  if (a.otherTypeFailures.length > 0) {
    out.push(`  failures of other types:`);
    out.push(...a.otherTypeFailures.map(failureLine));
  }
  if (a.gap) out.push(`  longest pause       ${formatMs(a.gap.ms)} (${formatBeijing(a.gap.from, { date: false })} → ${formatBeijing(a.gap.to, { date: false })})`);
  out.push('');
  out.push('Per minute (+08:00)');
  out.push(...renderShape(a.shape));
  const ctx = a.context;
  if (ctx.process.length > 0 || ctx.nginxErrors.length > 0) {
    out.push('');
    out.push('Around the window');
    for (const p of ctx.process) out.push(`  ${formatBeijing(p.time, { date: false, millis: false })}  ${p.pid !== undefined ? `pid ${p.pid}  ` : ''}${p.says}`);
    for (const rs of ctx.restarts) out.push(`  => ${rs.text}`);
    for (const n of ctx.nginxErrors) out.push(`  nginx: ${n.count} × ${n.says}, ${formatBeijing(n.first, { date: false, millis: false })} → ${formatBeijing(n.last, { date: false, millis: false })}`);
  }
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
