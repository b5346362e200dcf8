// `wxgate alert --html FILE`: the report as one self-contained page for an incident review — the
// per-minute chart by cause (an inline SVG drawn here: no script, no CDN, no charting library),
// the per-layer latency percentiles, the verdict and the checklist. Every bar carries its data
// (data-minute, data-cause, data-count) and the page embeds the shape as JSON, so a test (or a
// reader's tool) can check the picture against `--json`.
import type { AlertReport } from './alert.js';
import { ANSWERED, type Shape } from './alert-shape.js';
import { formatBeijing, formatMs } from './time.js';

const PALETTE = ['#d62728', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf', '#1f77b4'];

const esc = (s: string): string => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
const clock = (ms: number): string => formatBeijing(ms, { date: false, millis: false }).slice(0, 5);

export function colorsOf(shape: Shape): Map<string, string> {
  const colors = new Map<string, string>();
  let i = 0;
  for (const c of shape.causes) colors.set(c.cause, c.cause === ANSWERED ? '#2ca02c' : PALETTE[i++ % PALETTE.length]!);
  return colors;
}

function chart(shape: Shape): string {
  const W = 760;
  const H = 260;
  const pad = { left: 44, right: 12, top: 12, bottom: 36 };
  const n = Math.max(1, shape.minutes.length);
  const max = Math.max(1, ...shape.minutes.map((m) => m.total));
  const slot = (W - pad.left - pad.right) / n;
  const y = (v: number): number => pad.top + (H - pad.top - pad.bottom) * (1 - v / max);
  const colors = colorsOf(shape);
  const bars: string[] = [];
  shape.minutes.forEach((m, i) => {
    let base = 0;
    const x = pad.left + i * slot + slot * 0.15;
    for (const c of shape.causes) {
      const count = m.counts[c.cause] ?? 0;
      if (count === 0) continue;
      const top = y(base + count);
      const h = y(base) - top;
      bars.push(`<rect class="bar" x="${x.toFixed(1)}" y="${top.toFixed(1)}" width="${(slot * 0.7).toFixed(1)}" height="${h.toFixed(1)}" fill="${colors.get(c.cause)}" data-minute="${m.minute}" data-cause="${esc(c.cause)}" data-count="${count}"><title>${clock(m.minute)} ${esc(c.cause)}: ${count}</title></rect>`);
      base += count;
    }
    bars.push(`<text x="${(x + slot * 0.35).toFixed(1)}" y="${H - pad.bottom + 16}" text-anchor="middle" class="tick">${clock(m.minute)}</text>`);
  });
  const axis = [0, max].map((v) => `<text x="${pad.left - 6}" y="${y(v) + 4}" text-anchor="end" class="tick">${v}</text>`).join('');
  return `<svg id="shape" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="pushes per minute by cause">
<line x1="${pad.left}" y1="${y(0)}" x2="${W - pad.right}" y2="${y(0)}" stroke="#999"/>${axis}${bars.join('')}</svg>`;
}

function legend(shape: Shape): string {
  const colors = colorsOf(shape);
  const rows = shape.causes.map((c) => `<tr data-cause="${esc(c.cause)}"><td><span class="swatch" style="background:${colors.get(c.cause)}"></span>${esc(c.cause)}</td><td class="num">${c.count}</td><td>${formatBeijing(c.first, { millis: false })}</td><td>${formatBeijing(c.last, { date: false, millis: false })}</td></tr>`);
  return `<table id="causes"><thead><tr><th>cause</th><th>pushes</th><th>first</th><th>last</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

function latency(r: AlertReport): string {
  const rows = r.analysis.layers.map((l) => `<tr><td>${esc(l.layer)}</td><td class="num">${l.n}</td><td class="num">${formatMs(l.p50)}</td><td class="num">${formatMs(l.p95)}</td><td class="num">${formatMs(l.max)}</td></tr>`);
  return `<table id="latency"><thead><tr><th>layer</th><th>n</th><th>p50</th><th>p95</th><th>max</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

function checklist(r: AlertReport): string {
  return `<ul id="checklist">${r.checklist.map((c) => `<li class="${c.answered ? 'answered' : 'open'}"><span class="box">${c.answered ? '☑' : '☐'}</span> ${esc(c.text)}${c.answer ? `<div class="answer">${esc(c.answer)}</div>` : ''}</li>`).join('')}</ul>`;
}

export function renderAlertHtml(r: AlertReport): string {
  const { alert, kind, analysis: a } = r;
  const title = `WeChat alert ${kind.keyword}${alert.appid ? ` · ${alert.appid}` : ''}${alert.time !== undefined ? ` · ${formatBeijing(alert.time, { millis: false })}` : ''}`;
  // The data the chart is drawn from; "<" escaped so no value can close the script element.
  const data = JSON.stringify({ shape: a.shape, verdict: a.verdict, counts: a.counts }).replace(/</g, '\\u003c');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title>
<style>
body{font:14px/1.45 system-ui,-apple-system,"PingFang SC","Noto Sans CJK SC",sans-serif;margin:24px;color:#222;max-width:900px}
h1{font-size:20px;margin:0 0 4px}h2{font-size:16px;margin:24px 0 8px}.sub{color:#666}
table{border-collapse:collapse}td,th{padding:3px 10px;border-bottom:1px solid #eee;text-align:left}.num{text-align:right}
.swatch{display:inline-block;width:10px;height:10px;margin-right:6px;border-radius:2px}.tick{font-size:11px;fill:#666}
#verdict{background:#fff6e5;border-left:4px solid #ff7f0e;padding:8px 12px}#verdict b{font-size:15px}
#checklist{list-style:none;padding:0}#checklist li{margin:6px 0}.answer{color:#555;margin-left:22px}.open{color:#777}
</style></head><body>
<h1>${esc(title)}</h1>
<div class="sub">${esc(kind.title)} · window ${formatBeijing(a.window.from, { millis: false })} → ${formatBeijing(a.window.to, { date: false, millis: false })} (+08:00) · ${esc(a.coverage.text)}</div>
<h2>Verdict</h2>
<div id="verdict"><b>${esc(a.verdict.layer)}</b><div>${esc(a.verdict.detail)}</div></div>
<h2>Pushes per minute, by cause (+08:00)</h2>
${chart(a.shape)}
${legend(a.shape)}
<h2>Latency per layer</h2>
${latency(r)}
<h2>Checklist</h2>
${checklist(r)}
<script type="application/json" id="report-data">${data}</script>
</body></html>
`;
}
