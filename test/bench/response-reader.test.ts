import { describe, expect, it } from 'vitest';
import { createResponseReader, ResponseFramingError } from '../../bench/lib/response-reader.js';

const LENGTH = 'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 7\r\n\r\nsuccess';
const CHUNKED = 'HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n7\r\nsuccess\r\n0\r\n\r\n';
const EMPTY_CHUNKED = 'HTTP/1.1 204 No Content\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n';
const REJECTED = 'HTTP/1.1 409 Conflict\r\nContent-Length: 14\r\n\r\nnonce_replayed';

function statuses(chunks: string[]): number[] {
  const seen: number[] = [];
  const feed = createResponseReader((status) => seen.push(status));
  for (const chunk of chunks) feed(Buffer.from(chunk, 'latin1'));
  return seen;
}

describe('createResponseReader', () => {
  const stream = LENGTH + CHUNKED + EMPTY_CHUNKED + REJECTED;

  it('frames Content-Length and chunked responses back to back', () => {
    expect(statuses([stream])).toEqual([200, 200, 204, 409]);
  });

  it('gives the same answers however the bytes are split', () => {
    for (let cut = 1; cut < stream.length; cut++) {
      expect(statuses([stream.slice(0, cut), stream.slice(cut)])).toEqual([200, 200, 204, 409]);
    }
    expect(statuses([...stream])).toEqual([200, 200, 204, 409]);
  });

  it('waits for the rest of a body', () => {
    expect(statuses([LENGTH.slice(0, -1)])).toEqual([]);
    expect(statuses([CHUNKED.slice(0, -2)])).toEqual([]);
  });

  it('refuses what it cannot frame instead of guessing', () => {
    expect(() => statuses(['HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nsuccess'])).toThrow(ResponseFramingError);
    expect(() => statuses(['SSH-2.0-OpenSSH\r\n\r\n'])).toThrow(ResponseFramingError);
  });
});
