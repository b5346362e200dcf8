// Every relative link in the documents leads to a file of the repository and, with a #anchor, to
// a heading there (GitHub's anchors), so that a document moved or a heading renamed cannot leave
// a link broken in every clone.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { githubSlug, headingAnchors, isExternal, linkTargets } from './helpers/markdown.js';

const ROOT = fileURLToPath(new URL('../', import.meta.url));

const DOCUMENTS = [
  'README.md',
  'CONTRIBUTING.md',
  'CHANGELOG.md',
  'bench/README.md',
  'nginx/README.md',
  ...readdirSync(join(ROOT, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
];

const anchorsOf = new Map<string, Set<string>>();
function anchors(file: string): Set<string> {
  if (!anchorsOf.has(file)) anchorsOf.set(file, headingAnchors(readFileSync(join(ROOT, file), 'utf8')));
  return anchorsOf.get(file)!;
}

/** What is wrong with one link of `from` (a path from the root), or undefined when it leads somewhere. */
function brokenLink(from: string, target: string): string | undefined {
  const [path, anchor] = target.split('#', 2) as [string, string | undefined];
  const file = path === '' ? from : normalize(join(dirname(from), decodeURIComponent(path)));
  if (relative(ROOT, join(ROOT, file)).startsWith('..')) return `${target}: outside the repository`;
  if (!existsSync(join(ROOT, file))) return `${target}: no file ${file}`;
  if (anchor === undefined) return undefined;
  const wanted = decodeURIComponent(anchor);
  if (!file.endsWith('.md')) return /^L\d+(-L\d+)?$/.test(wanted) ? undefined : `${target}: an anchor into a file that is not Markdown`;
  if (statSync(join(ROOT, file)).isDirectory()) return `${target}: an anchor into a directory`;
  return anchors(file).has(wanted) ? undefined : `${target}: ${file} has no heading #${wanted}`;
}

describe('links in the documents', () => {
  it.each(DOCUMENTS)('%s: every relative link leads to a file, and to a heading there', (doc) => {
    const targets = linkTargets(readFileSync(join(ROOT, doc), 'utf8')).filter((t) => !isExternal(t));
    expect(targets.map((t) => brokenLink(doc, t)).filter(Boolean)).toEqual([]);
  });

  it('finds links in the documents at all (the reader is not blind)', () => {
    expect(linkTargets(readFileSync(join(ROOT, 'README.md'), 'utf8')).filter((t) => !isExternal(t)).length).toBeGreaterThan(10);
  });

  it('reports a link to a missing file or heading', () => {
    expect(brokenLink('README.md', 'docs/no-such-file.md')).toMatch(/no file docs\/no-such-file\.md/);
    expect(brokenLink('README.md', 'docs/operations.md#no-such-heading')).toMatch(/has no heading/);
    expect(brokenLink('docs/operations.md', '#start-and-stop')).toBeUndefined();
    expect(brokenLink('docs/operations.md', '../../elsewhere/DESIGN.md')).toMatch(/outside the repository/);
  });
});

describe("GitHub's heading anchors", () => {
  it('keep letters, digits, _ and -, drop the rest, and turn each space into -', () => {
    expect(githubSlug('Start and stop')).toBe('start-and-stop');
    expect(githubSlug('Logs: one line per layer, keyed by openid and timestamp')).toBe('logs-one-line-per-layer-keyed-by-openid-and-timestamp');
    expect(githubSlug('access_token central control')).toBe('access_token-central-control');
    expect(githubSlug('Dependencies, and why each')).toBe('dependencies-and-why-each');
  });

  it('keep CJK characters and drop CJK-adjacent symbols', () => {
    expect(githubSlug('Filling in the MP console (设置与开发 → 基本配置 → 服务器配置)')).toBe(
      'filling-in-the-mp-console-设置与开发--基本配置--服务器配置',
    );
    expect(githubSlug('客服消息：说明')).toBe('客服消息说明');
  });

  it('read headings as rendered, number repeats, and skip code blocks', () => {
    const md = '# Try it: `npm run demo`\n\n## Notes\n\n```sh\n# not a heading\n```\n\n## Notes\n\n## [A link](x.md) *here*\n';
    expect([...headingAnchors(md)]).toEqual(['try-it-npm-run-demo', 'notes', 'notes-1', 'a-link-here']);
  });

  it('find links outside code only', () => {
    const md = 'see [a](a.md) and `[b](b.md)`\n\n```\n[c](c.md)\n```\n\n[d]: d.md\n![e](img/e.png "title")\n';
    expect(linkTargets(md)).toEqual(['a.md', 'd.md', 'img/e.png']);
  });
});
