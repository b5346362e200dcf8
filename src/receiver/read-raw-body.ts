// The push body as a string, refused (413) past the limit: WeChat's pushes are a few hundred
// bytes, so a large body is never a push. Plain 'data'/'end' listeners rather than `for await`:
// the async iterator cost ~2 % of the receive path's CPU.
// Past the limit the rest is still read, and dropped, up to `discardBytes` more: a connection
// closed while the client is still sending is reset, and the reset throws away the 413 before
// the client reads it (issue 14 item 6: a chunked body over the limit got a reset). Beyond that
// the client is not sending a push at all, and the connection is destroyed.
import type { IncomingMessage } from 'node:http';
import { RequestError } from '../errors.js';

const tooLarge = (limitBytes: number) => new RequestError('body_too_large', `body over ${limitBytes} bytes`);

export function readRawBody(req: IncomingMessage, limitBytes: number, { discardBytes = 1024 * 1024 }: { discardBytes?: number } = {}): Promise<string> {
  const declared = Number(req.headers['content-length']);
  if (declared > limitBytes + discardBytes) return Promise.reject(tooLarge(limitBytes));
  // Inline listeners: tsx (esbuild keepNames) wraps every named closure in a __name() call,
  // per request here. Once the promise settles, later events change nothing.
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limitBytes) chunks.push(chunk);
      else if (size > limitBytes + discardBytes) {
        reject(tooLarge(limitBytes));
        req.destroy(); // the rest is never read
      }
    });
    req.on('end', () => {
      if (size > limitBytes || declared > limitBytes) reject(tooLarge(limitBytes));
      else resolve(chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks).toString('utf8'));
    });
    req.on('error', reject);
  });
}
