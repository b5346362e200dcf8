// The recipient list readers on their own, fed as a request body is: a stream that arrives in
// pieces while the service is busy elsewhere (waiting for PostgreSQL, creating the campaign).
import { once } from 'node:events';
import { PassThrough, Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { parseCampaignBody, type CampaignFormat, type Recipient } from '../../src/campaigns/recipients-parse.js';

const codeOf = async (p: Promise<unknown>) => p.then(() => 'resolved', (err: { code?: string }) => err.code);
const collect = async (it: AsyncIterable<Recipient>) => {
  const out: Recipient[] = [];
  for await (const r of it) out.push(r);
  return out;
};
const bodyOf = (...chunks: (string | Buffer)[]) => Readable.from(chunks.map((c) => (typeof c === 'string' ? Buffer.from(c) : c)));

describe('CSV: a malformed body is a 400, never an error nobody listens to', () => {
  it.each([
    ['a row shorter than the header', 'openid,first\nonlyone\n'],
    ['an unclosed quote', 'openid\n"o1\n'],
  ])('%s, in the header or first row: settings() refuses it (before any campaign exists)', async (_name, csv) => {
    const parsed = parseCampaignBody(bodyOf(csv), 'csv');
    await sleep(50); // the parser has failed by now, with nobody iterating yet
    expect(await codeOf(parsed.settings())).toBe('bad_request');
    expect(await codeOf(collect(parsed.recipients))).toBe('bad_request');
  });

  it('further down: the rows before it are read, then the loop throws bad_request, however late it starts', async () => {
    const body = new PassThrough();
    const parsed = parseCampaignBody(body, 'csv');
    body.write('openid,first\no1,a\no2,b\n'); // csv-parse holds a record back until it sees what follows
    expect(await parsed.settings()).toEqual({});
    body.end('onlyone\n');
    await sleep(50); // failed meanwhile, while the service was busy elsewhere
    const seen: string[] = [];
    const code = await codeOf(
      (async () => {
        for await (const r of parsed.recipients) seen.push(r.openid);
      })(),
    );
    expect(seen[0]).toBe('o1');
    expect(code).toBe('bad_request');
  });
});

describe('a character split across two chunks of the body', () => {
  const split = (text: string, inside: string) => {
    const b = Buffer.from(text);
    const at = b.indexOf(Buffer.from(inside)) + 1; // one byte into the character
    return bodyOf(b.subarray(0, at), b.subarray(at));
  };

  it('NDJSON: decoded whole', async () => {
    const parsed = parseCampaignBody(split(`{"template_id":"T"}\n{"touser":"oSplit1","data":{"keyword1":"订单已发货"}}\n`, '订'), 'ndjson');
    expect(await parsed.settings()).toEqual({ template_id: 'T' });
    expect(await collect(parsed.recipients)).toEqual([{ openid: 'oSplit1', data: { keyword1: { value: '订单已发货' } } }]);
  });

  it('NDJSON: in the last line, with no newline after it', async () => {
    const parsed = parseCampaignBody(split('{"touser":"oSplit2","data":{"first":"已发货"}}', '发'), 'ndjson');
    expect(await collect(parsed.recipients)).toEqual([{ openid: 'oSplit2', data: { first: { value: '已发货' } } }]);
  });

  it('CSV: decoded whole', async () => {
    const parsed = parseCampaignBody(split('openid,keyword1\noSplit3,订单已发货\n', '订'), 'csv');
    expect(await collect(parsed.recipients)).toEqual([{ openid: 'oSplit3', data: { keyword1: { value: '订单已发货' } } }]);
  });
});

describe('discard: a request refused before its list is read lets its body flow to the end', () => {
  const bigList = (format: CampaignFormat) => {
    const ids = Array.from({ length: 50_000 }, (_, i) => `oDiscard${String(i).padStart(8, '0')}`);
    return format === 'csv' ? `openid\n${ids.join('\n')}\n` : `{"template_id":"T"}\n${ids.map((touser) => JSON.stringify({ touser })).join('\n')}\n`;
  };

  it.each(['csv', 'ndjson'] as const)('%s', async (format) => {
    const body = new PassThrough();
    const parsed = parseCampaignBody(body, format);
    body.write(bigList(format).slice(0, 64 * 1024));
    await parsed.settings();
    parsed.discard();
    body.end(bigList(format).slice(64 * 1024));
    const ended = once(body, 'end');
    await expect(Promise.race([ended, sleep(2000).then(() => Promise.reject(new Error('the body stopped flowing')))])).resolves.toBeDefined();
  });
});
