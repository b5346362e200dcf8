// The texts that name nginx's upstream read timeout say what nginx/nginx.conf sets: it went from
// 3 s to 4800 ms for passive replies (issue 17), and the incident fixtures' README, a staging
// comment and trace's comments still said 3 s. Reads files only (no nginx needed).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = process.cwd();
const conf = readFileSync(join(root, 'nginx', 'nginx.conf'), 'utf8');

function toMs(value: string, unit: string): number {
  return Number(value) * (unit === 'ms' ? 1 : 1000);
}

function files(dir: string, ext: RegExp): string[] {
  const out: string[] = [];
  for (const name of readdirSync(join(root, dir))) {
    if (name === 'node_modules' || name.startsWith('.')) continue;
    const rel = join(dir, name);
    if (statSync(join(root, rel)).isDirectory()) out.push(...files(rel, ext));
    else if (ext.test(name)) out.push(rel);
  }
  return out;
}

// "nginx's 3 s", "its 3 s proxy_read_timeout", "3 s upstream timeout", "proxy_read_timeout 3s".
const MENTIONS = [
  /nginx's (\d+(?:\.\d+)?) ?(ms|s)\b/g,
  /(\d+(?:\.\d+)?) ?(ms|s) (?:proxy_read_timeout|upstream timeout|read timeout)/g,
  /proxy_read_timeout`?:? `?(\d+(?:\.\d+)?) ?(ms|s)\b/g,
];

describe('texts naming nginx\'s read timeout', () => {
  const [, value, unit] = /proxy_read_timeout (\d+)(ms|s);/.exec(conf)!;
  const configured = toMs(value!, unit!);

  it('nginx.conf sets one', () => {
    expect(configured).toBeGreaterThan(4500);
  });

  it.each([...files('docs', /\.md$/), 'README.md', 'nginx/README.md', ...files('test/fixtures', /README\.md$/), ...files('scripts', /\.ts$/), ...files('src/trace', /\.ts$/)])('%s', (file) => {
    const text = readFileSync(join(root, file), 'utf8');
    const wrong: string[] = [];
    for (const re of MENTIONS) for (const m of text.matchAll(re)) if (toMs(m[1]!, m[2]!) !== configured) wrong.push(m[0]);
    expect(wrong).toEqual([]);
  });
});
