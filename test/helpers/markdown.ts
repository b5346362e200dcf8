// Reading Markdown as GitHub renders it, for the test that every link in the documents leads
// somewhere: the headings' anchors (GitHub's slugs) and the links, both outside code.

/**
 * GitHub's heading anchor (github-slugger): lower case; every character that is not a letter, a
 * mark, a digit, `_`, `-` or a space removed; each space a `-`. CJK characters are letters and
 * stay; `→`, `(`, `:` and `—` go, so "A (设置 → 配置)" is `a-设置--配置`.
 */
export function githubSlug(heading: string): string {
  return heading
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc}\- ]/gu, '')
    .replace(/ /g, '-');
}

/** The text a heading renders as: links reduced to their text, code marks and emphasis gone. */
function renderedText(heading: string): string {
  return heading
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/<[^>]+>/g, '')
    .replace(/[`*]/g, '');
}

/** The lines of a file outside its fenced code blocks (``` or ~~~). */
function proseLines(markdown: string): string[] {
  const prose: string[] = [];
  let fence: string | undefined;
  for (const line of markdown.split('\n')) {
    const marker = /^\s*(`{3,}|~{3,})/.exec(line)?.[1];
    if (fence) {
      if (marker && marker[0] === fence[0] && marker.length >= fence.length) fence = undefined;
    } else if (marker) {
      fence = marker;
    } else {
      prose.push(line);
    }
  }
  return prose;
}

/** Every anchor a file's headings give (duplicates numbered -1, -2 … as GitHub does). */
export function headingAnchors(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const line of proseLines(markdown)) {
    const explicit = [...line.matchAll(/<a\s+(?:name|id)="([^"]+)"/g)].map((m) => m[1]!);
    for (const id of explicit) anchors.add(id);
    const heading = /^ {0,3}#{1,6}\s+(.*?)(?:\s+#+)?\s*$/.exec(line)?.[1];
    if (heading === undefined) continue;
    const base = githubSlug(renderedText(heading));
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    anchors.add(n === 0 ? base : `${base}-${n}`);
  }
  return anchors;
}

/** The targets of a file's links and images, outside code blocks and code spans. */
export function linkTargets(markdown: string): string[] {
  const targets: string[] = [];
  for (const line of proseLines(markdown)) {
    const prose = line.replace(/`[^`]*`/g, '');
    for (const m of prose.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) targets.push(m[1]!);
    const reference = /^\s*\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+"[^"]*")?\s*$/.exec(prose)?.[1];
    if (reference) targets.push(reference);
  }
  return targets;
}

/** A link that leaves the repository (a scheme such as https: or mailto:), not checked here. */
export function isExternal(target: string): boolean {
  return /^[a-z][a-z0-9+.-]*:/i.test(target);
}
