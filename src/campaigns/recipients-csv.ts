// A campaign's recipients as CSV, streamed page by page (keyset on openid), with errcode and
// errmsg per user: what `wxgate campaign failures ID --csv` prints.
import { Readable } from 'node:stream';

type Page = { recipients: { openid: string; status: string; errcode: number | null; errmsg: string | null; msgid: string | null; attempts: number; sent_at: string | null }[]; next: string | null };

export const CSV_COLUMNS = ['openid', 'status', 'errcode', 'errmsg', 'msgid', 'attempts', 'sent_at'] as const;

export function csvField(v: unknown): string {
  const s = v === null || v === undefined ? '' : String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function recipientsCsv(page: (after: string | undefined) => Promise<Page>): Readable {
  return Readable.from(
    (async function* () {
      yield `${CSV_COLUMNS.join(',')}\n`;
      let after: string | undefined;
      for (;;) {
        const p = await page(after);
        if (p.recipients.length > 0) yield p.recipients.map((r) => `${CSV_COLUMNS.map((c) => csvField(r[c])).join(',')}\n`).join('');
        if (p.next === null) return;
        after = p.next;
      }
    })(),
  );
}
