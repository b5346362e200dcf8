// Log lines collected in an array and handed to sonic-boom in chunks of about `minLength`
// bytes, instead of line by line. sonic-boom appends each write to a pending string and then
// measures that string with Buffer.byteLength, which flattens it: every line cost a copy of
// everything pending (up to 16 KiB while a write is in flight), ~8 µs a line on the receive
// path against ~5 µs collected here (bench/README.md, issue 2). sonic-boom still does the
// writing: partial writes, EAGAIN, EPIPE and the synchronous flush at exit stay its job.
// What is pending is handed over `maxDelayMs` after its first line at the latest: a quiet
// process shows each line within that (issue 16: it took up to a second), and a kill -9 loses
// at most that window (or `minLength` bytes, whichever is less). Under load the chunks fill up
// long before the timer fires, so the batching is what it was.
import type { DestinationStream } from 'pino';

/** The part of a SonicBoom the line buffer drives. */
export interface LineSink {
  write(chunk: string): boolean;
  flushSync(): void;
}

export interface LineBuffer extends DestinationStream {
  /** Hands what is pending to the sink now (a signal, a shutdown). */
  flush(cb?: (err?: Error) => void): void;
  /** Hands what is pending to the sink and writes it all out now (pino.fatal, process exit). */
  flushSync(): void;
}

export function createLineBuffer({ sink }: { sink: LineSink }, { minLength = 4096, maxDelayMs = 50 }: { minLength?: number; maxDelayMs?: number } = {}): LineBuffer {
  let lines: string[] = [];
  let pending = 0;
  const handOver = () => {
    if (lines.length === 0) return;
    const chunk = lines.length === 1 ? lines[0]! : lines.join('');
    lines = [];
    pending = 0;
    sink.write(chunk);
  };
  // One timer for the buffer's life, re-armed (refresh) by the first line after each hand-over;
  // unref'd, so an idle logger never keeps the process alive.
  const timer = setTimeout(handOver, maxDelayMs).unref();
  return {
    write(line: string) {
      if (pending === 0) timer.refresh();
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
