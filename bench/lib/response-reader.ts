// Splits one keep-alive connection's bytes into HTTP/1.1 responses and hands on each status
// code: the constant-rate loader's whole client side. It knows the two framings our targets
// answer with (Content-Length; chunked, which bare node:http uses after writeHead) and nothing
// else: a response it cannot frame is an error, never a guess.

const HEAD_END = Buffer.from('\r\n\r\n');
const LAST_CHUNK = Buffer.from('\r\n0\r\n\r\n');

export class ResponseFramingError extends Error {}

/** Returns a feeder: give it each chunk read from the socket, in order. */
export function createResponseReader(onResponse: (status: number) => void): (chunk: Buffer) => void {
  let pending: Buffer | undefined;
  return (chunk) => {
    let buf = pending === undefined ? chunk : Buffer.concat([pending, chunk]);
    for (;;) {
      const headEnd = buf.indexOf(HEAD_END);
      if (headEnd < 0) break;
      const head = buf.toString('latin1', 0, headEnd);
      const status = Number(head.slice(9, 12));
      if (!head.startsWith('HTTP/1.1 ') || !(status >= 100 && status <= 599)) throw new ResponseFramingError(`not an HTTP/1.1 status line: ${head.slice(0, 40)}`);
      const end = bodyEnd(buf, head, headEnd + HEAD_END.length);
      if (end < 0) break;
      buf = buf.subarray(end);
      onResponse(status);
    }
    pending = buf.length === 0 ? undefined : buf;
  };
}

/** Where the response whose head ends at `bodyStart` ends; -1 while its body is incomplete. */
function bodyEnd(buf: Buffer, head: string, bodyStart: number): number {
  const length = /\r\ncontent-length:[ \t]*(\d+)/i.exec(head);
  if (length) {
    const end = bodyStart + Number(length[1]);
    return buf.length >= end ? end : -1;
  }
  if (/\r\ntransfer-encoding:[ \t]*chunked/i.test(head)) {
    // A body of one chunk or more ends with the last chunk; an empty body is the last chunk alone.
    if (buf.length >= bodyStart + 5 && buf.toString('latin1', bodyStart, bodyStart + 5) === '0\r\n\r\n') return bodyStart + 5;
    const last = buf.indexOf(LAST_CHUNK, bodyStart);
    return last < 0 ? -1 : last + LAST_CHUNK.length;
  }
  throw new ResponseFramingError('response with neither Content-Length nor chunked encoding');
}
