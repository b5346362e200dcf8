// custom/send text is limited to 2048 bytes of UTF-8 (errcode 45002 past it). A longer answer
// (an LLM's) is split into several messages, never cut: on grapheme boundaries so that no
// character (or emoji sequence) is broken, at the last newline in the window when there is one
// in its second half, else at the last space there, else as much as fits.
// https://developers.weixin.qq.com/doc/offiaccount/Message_Management/Service_Center_messages.html

export const TEXT_LIMIT_BYTES = 2048;

const encoder = new TextEncoder();
const bytes = (s: string) => encoder.encode(s).length;

function graphemes(s: string): string[] {
  return Array.from(new Intl.Segmenter('und', { granularity: 'grapheme' }).segment(s), (g) => g.segment);
}

/** Splits `text` into parts of at most `limitBytes` UTF-8 bytes each. Empty text: no parts. */
export function splitText(text: string, limitBytes = TEXT_LIMIT_BYTES): string[] {
  if (text === '') return [];
  if (bytes(text) <= limitBytes) return [text];
  const parts: string[] = [];
  const gs = graphemes(text);
  let start = 0;
  while (start < gs.length) {
    // Take as many graphemes as fit.
    let end = start;
    let size = 0;
    while (end < gs.length) {
      const b = bytes(gs[end]!);
      if (size + b > limitBytes && end > start) break;
      size += b;
      end += 1;
    }
    let next = end;
    if (end < gs.length) {
      if (isNewline(gs[end]!)) {
        next = end + 1; // the part fits up to a line break: break there
      } else {
        const at = lastBreak(gs, start, end, start + Math.floor((end - start) / 2));
        if (at !== -1) next = end = at + 1; // the break character closes this part; dropped below if a newline
      }
    }
    let part = gs.slice(start, end).join('');
    if (end < gs.length) part = part.replace(/\r?\n$/, '');
    if (part !== '') parts.push(part);
    start = next;
  }
  return parts;
}

const isNewline = (g: string) => g === '\n' || g === '\r\n';

/** Index of the last newline (else space) in gs[from..end) that lies past `min`; -1 if none. */
function lastBreak(gs: string[], from: number, end: number, min: number): number {
  for (const isBreak of [isNewline, (g: string) => g === ' ' || g === '\u3000']) {
    for (let i = end - 1; i >= Math.max(from, min); i -= 1) if (isBreak(gs[i]!)) return i;
  }
  return -1;
}
