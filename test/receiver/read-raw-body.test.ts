import type { IncomingMessage } from 'node:http';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { RequestError } from '../../src/errors.js';
import { readRawBody } from '../../src/receiver/read-raw-body.js';

/** A request stream with these headers; `chunks` are written and ended unless told otherwise. */
function request(chunks: (string | Buffer)[], headers: Record<string, string> = {}, end = true): PassThrough {
  const stream = Object.assign(new PassThrough(), { headers });
  for (const c of chunks) stream.write(c);
  if (end) stream.end();
  return stream;
}

const read = (req: PassThrough, limit = 1024) => readRawBody(req as unknown as IncomingMessage, limit);
const outcome = (p: Promise<unknown>) => p.then(() => 'resolved', (err: unknown) => (err instanceof RequestError ? err.code : String(err)));

describe('readRawBody', () => {
  it('joins the chunks as UTF-8, a character split between chunks included', async () => {
    const bytes = Buffer.from('<xml>中文</xml>');
    expect(await read(request([bytes.subarray(0, 6), bytes.subarray(6)]))).toBe('<xml>中文</xml>');
  });

  it('refuses a declared length over the limit', async () => {
    expect(await outcome(read(request(['x'], { 'content-length': '2000' })))).toBe('body_too_large');
  });

  it('refuses a streamed body once it passes the limit, and stops reading it', async () => {
    const req = request(['a'.repeat(600), 'b'.repeat(600)], {}, false);
    expect(await outcome(read(req))).toBe('body_too_large');
    expect(req.destroyed).toBe(true);
  });

  it('passes a stream error on', async () => {
    const req = request([], {}, false);
    const body = read(req);
    req.destroy(new Error('reset'));
    expect(await outcome(body)).toBe('Error: reset');
  });
});
