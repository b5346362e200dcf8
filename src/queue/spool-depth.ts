import { createReadStream } from 'node:fs';
import { listSpoolFiles } from './spool.js';

/** Lines waiting in the spool directory (all writers on this host). */
export async function countSpooled(dir: string): Promise<number> {
  let lines = 0;
  for (const file of await listSpoolFiles(dir)) {
    try {
      for await (const chunk of createReadStream(file.path) as AsyncIterable<Buffer>) {
        for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) lines += 1;
      }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err; // drained meanwhile
    }
  }
  return lines;
}
