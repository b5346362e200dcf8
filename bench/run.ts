// `npm run bench [-- suite…]`: runs the benchmark suites, writes each one's figures to
// bench/results/<suite>.json and the summary tables to bench/README.md.
// Loopback only, bounded in time; ratios measured side by side in one run are what we quote.
import { writeFileSync, mkdirSync, readFileSync, existsSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { benchReceive } from './receive.js';

const RESULTS = join(import.meta.dirname, 'results');

interface Suite {
  run(): Promise<unknown>;
  table(result: never): string;
}

const SUITES: Record<string, Suite> = {
  receive: {
    run: () => benchReceive(),
    table: (r: Awaited<ReturnType<typeof benchReceive>>) =>
      [
        '| target | req/s | p50 ms | p99 ms | RSS MiB |',
        '|---|---:|---:|---:|---:|',
        ...r.throughput.map((t) => `| ${t.target} | ${t.rps} | ${t.p50} | ${t.p99} | ${t.rssMiB} |`),
        '',
        '| ratio (same run) | value |',
        '|---|---:|',
        ...Object.entries(r.ratios).map(([k, v]) => `| ${k} | ${v} |`),
        '',
        `Constant rate, wxgate plaintext at 2,000 req/s: p50 ${r.constantRate.p50} ms, p99 ${r.constantRate.p99} ms (${r.constantRate.non2xx} non-2xx, ${r.constantRate.errors} errors).`,
      ].join('\n'),
  },
};

const README = join(import.meta.dirname, 'README.md');

function updateReadme(suite: string, table: string, meta: string): void {
  const text = existsSync(README) ? readFileSync(README, 'utf8') : '# Benchmarks\n';
  const begin = `<!-- ${suite}:begin -->`;
  const end = `<!-- ${suite}:end -->`;
  const block = `${begin}\n${meta}\n\n${table}\n${end}`;
  const re = new RegExp(`${begin}[\\s\\S]*?${end}`);
  writeFileSync(README, re.test(text) ? text.replace(re, block) : `${text.trimEnd()}\n\n## ${suite}\n\n${block}\n`);
}

const wanted = process.argv.slice(2).length > 0 ? process.argv.slice(2) : Object.keys(SUITES);
mkdirSync(RESULTS, { recursive: true });
for (const name of wanted) {
  const suite = SUITES[name];
  if (!suite) {
    console.error(`unknown suite ${name}; known: ${Object.keys(SUITES).join(', ')}`);
    process.exit(2);
  }
  console.log(`== ${name}`);
  const at = new Date().toISOString();
  const result = await suite.run();
  const meta = `Recorded ${at} on ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, Node ${process.version} (results/${name}.json).`;
  writeFileSync(join(RESULTS, `${name}.json`), JSON.stringify({ at, node: process.version, cpus: cpus().length, result }, null, 2));
  updateReadme(name, suite.table(result as never), meta);
}
