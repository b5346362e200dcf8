// The push body as a string, refused (413) past the limit before it is all read: WeChat's
// pushes are a few hundred bytes, so a large body is never a push. Plain 'data'/'end'
// listeners rather than `for await`: the async iterator cost ~2 % of the receive path's CPU.
import type { IncomingMessage } from 'node:http';
import { RequestError } from '../errors.js';

const tooLarge = (limitBytes: number) => new RequestError('body_too_large', `body over ${limitBytes} bytes`);

export function readRawBody(req: IncomingMessage, limitBytes: number): Promise<string> {
  if (Number(req.headers['content-length']) > limitBytes) return Promise.reject(tooLarge(limitBytes));
  // Inline listeners: tsx (esbuild keepNames) wraps every named closure in a __name() call,
  // per request here. Once the promise settles, later events change nothing.
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limitBytes) chunks.push(chunk);
      else {
        reject(tooLarge(limitBytes));
        req.destroy(); // the rest is never read
      }
    });
    req.on('end', () => resolve(chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
