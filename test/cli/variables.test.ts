// The --help table (src/cli/variables.ts) against what src/config.ts reads and what
// docs/configuration.md documents: a variable added to one and not the others fails here, not in
// a user's hands.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { commandHelp, VARIABLES } from '../../src/cli/variables.js';

/** Every NAME in `(env, 'NAME'` calls and in the single-account field map of config.ts. */
function readByConfig(): string[] {
  const source = readFileSync('src/config.ts', 'utf8');
  const names = [...source.matchAll(/\(env, '([A-Z][A-Z0-9_]+)'/g)].map((m) => m[1]!);
  return [...new Set(names)].sort();
}

/** The names in docs/configuration.md's table, with "A / _B" read as A and A's stem + _B. */
function documented(): Set<string> {
  const doc = readFileSync('docs/configuration.md', 'utf8');
  const header = doc.indexOf('| variable | default | meaning |');
  expect(header).toBeGreaterThan(-1);
  const table = doc.slice(header).split('\n\n')[0]!;
  const names = new Set<string>();
  for (const row of table.split('\n').filter((l) => l.startsWith('| ') && !l.startsWith('| variable'))) {
    let last = '';
    for (const part of row.split('|')[1]!.split(/\s*[/,]\s*/).map((p) => p.trim())) {
      last = part.startsWith('_') ? last.slice(0, last.lastIndexOf('_')) + part : part;
      names.add(last);
    }
  }
  return names;
}

describe('the variables of serve, worker and all', () => {
  it('lists every variable config.ts reads, once', () => {
    const listed = VARIABLES.map((v) => v.name);
    expect(new Set(listed).size).toBe(listed.length);
    expect(readByConfig().filter((n) => !listed.includes(n))).toEqual([]);
  });

  it('are all in docs/configuration.md', () => {
    const doc = documented();
    expect(VARIABLES.map((v) => v.name).filter((n) => !doc.has(n))).toEqual([]);
  });

  it('docs/configuration.md documents every variable config.ts reads', () => {
    const doc = documented();
    expect(readByConfig().filter((n) => !doc.has(n))).toEqual([]);
  });

  it('--help shows the defaults config.ts gives', () => {
    const help = commandHelp('all', 'both');
    expect(help).toMatch(/^ {2}WXGATE_SHUTDOWN_TIMEOUT_MS +10000 +/m);
    expect(help).toMatch(/^ {2}WXGATE_KEEPALIVE_TIMEOUT_MS +15000 +/m);
    expect(help).toMatch(/^ {2}WXGATE_HANDLERS +built-in demo +/m);
    expect(help).toMatch(/^ {2}WECHAT_APPID +— +/m);
    expect(help).not.toMatch(/WXGATE_METRICS_PORT/);
  });
});
