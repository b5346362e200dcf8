// The push body as a string, refused (413) past the limit before it is all read: WeChat's
// pushes are a few hundred bytes, so a large body is never a push.
import type { IncomingMessage } from 'node:http';
import { RequestError } from '../errors.js';

export async function readRawBody(req: IncomingMessage, limitBytes: number): Promise<string> {
  const declared = Number(req.headers['content-length']);
  if (declared > limitBytes) throw new RequestError('body_too_large', `body over ${limitBytes} bytes`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limitBytes) throw new RequestError('body_too_large', `body over ${limitBytes} bytes`);
    chunks.push(chunk);
  }
  return chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks).toString('utf8');
}
