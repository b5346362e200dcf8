import { explainAlert } from '../src/trace/alert.js';
import { fileSource } from '../src/trace/read-lines.js';
import { readFileSync } from 'node:fs';
const t0 = performance.now();
let peak = 0;
const timer = setInterval(() => { peak = Math.max(peak, process.memoryUsage().heapUsed); }, 10);
const r = await explainAlert(readFileSync('/tmp/bench1g/alert.txt', 'utf8'), ['/tmp/bench1g/access.log', '/tmp/bench1g/wxgate.log'].map((p) => fileSource(p)));
clearInterval(timer);
console.log((performance.now() - t0) / 1000, 's', r.analysis.counts, r.analysis.verdict.layer, 'peak heap', Math.round(peak / 2 ** 20), 'rss', Math.round(process.memoryUsage().rss / 2 ** 20), 'maxrss', Math.round(process.resourceUsage().maxRSS / 1024));
