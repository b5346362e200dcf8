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

  it('refuses a streamed body past the limit once it has all arrived, so the 413 is not lost to a reset', async () => {
    const req = request(['a'.repeat(600), 'b'.repeat(600)], {}, false);
    const body = outcome(read(req));
    req.write('c'.repeat(600));
    req.end();
    expect(await body).toBe('body_too_large');
    expect(req.readableEnded).toBe(true); // read to its end, not cut
  });

  it('stops reading a streamed body that goes on past the limit and the discard allowance', async () => {
    const req = request(['a'.repeat(600), 'b'.repeat(600), 'c'.repeat(600)], {}, false);
    const body = readRawBody(req as unknown as IncomingMessage, 1024, { discardBytes: 500 });
    expect(await outcome(body)).toBe('body_too_large');
    expect(req.destroyed).toBe(true);
  });

  it('refuses at once a declared length past the discard allowance', async () => {
    const req = request(['x'], { 'content-length': String(10 * 1024 * 1024) }, false);
    expect(await outcome(read(req))).toBe('body_too_large');
  });

  it('passes a stream error on', async () => {
    const req = request([], {}, false);
    const body = read(req);
    req.destroy(new Error('reset'));
    expect(await outcome(body)).toBe('Error: reset');
  });
});
