// Log lines collected in an array and handed to sonic-boom in chunks of about `minLength`
// bytes, instead of line by line. sonic-boom appends each write to a pending string and then
// measures that string with Buffer.byteLength, which flattens it: every line cost a copy of
// everything pending (up to 16 KiB while a write is in flight), ~8 µs a line on the receive
// path against ~5 µs collected here (bench/README.md, issue 2). sonic-boom still does the
// writing: partial writes, EAGAIN, EPIPE and the synchronous flush at exit stay its job.
import type { DestinationStream } from 'pino';

/** The part of a SonicBoom the line buffer drives. */
export interface LineSink {
  write(chunk: string): boolean;
  flushSync(): void;
}

export interface LineBuffer extends DestinationStream {
  /** Hands what is pending to the sink (the periodic flush). */
  flush(cb?: (err?: Error) => void): void;
  /** Hands what is pending to the sink and writes it all out now (pino.fatal, process exit). */
  flushSync(): void;
}

export function createLineBuffer({ sink }: { sink: LineSink }, { minLength = 4096 }: { minLength?: number } = {}): LineBuffer {
  let lines: string[] = [];
  let pending = 0;
  const handOver = () => {
    if (lines.length === 0) return;
    const chunk = lines.length === 1 ? lines[0]! : lines.join('');
    lines = [];
    pending = 0;
    sink.write(chunk);
  };
  return {
    write(line: string) {
      lines.push(line);
      pending += line.length;
      if (pending >= minLength) handOver();
    },
    flush(cb) {
      handOver();
      cb?.();
    },
    flushSync() {
      handOver();
      sink.flushSync();
    },
  };
}
