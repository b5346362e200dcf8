// A reader that stops early (`wxgate trace … | head`) closes the pipe; the next write fails
// with EPIPE. End quietly with status 0, as cat and grep do, instead of an unhandled-error stack.
import type { Writable } from 'node:stream';

export function endQuietlyOnClosedPipe(stream: Writable, exit: (code: number) => void = (code) => process.exit(code)): void {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') exit(0);
    else throw err;
  });
}
