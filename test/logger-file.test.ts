// WXGATE_LOG_FILE: logs go to the file named (src/log-file.ts rotates it), not stdout.
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../src/logger.js';

describe('logger with a file destination', () => {
  it('writes JSON lines to the rotated file, secrets redacted', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'wxgate-logfile-'));
    try {
      const logger = createLogger({ destination: join(dir, 'wxgate.log') });
      logger.info({ layer: 'receive', openid: 'oFile', appsecret: 'not-in-the-file' }, 'to a file');
      await new Promise<void>((resolve) => logger.flush(() => resolve()));
      let text = '';
      for (let i = 0; i < 50 && !text.includes('oFile'); i += 1) {
        await new Promise((r) => setTimeout(r, 100));
        const files = (await readdir(dir)).filter((f) => f.startsWith('wxgate'));
        text = (await Promise.all(files.map((f) => readFile(join(dir, f), 'utf8')))).join('');
      }
      const line = JSON.parse(text.trim().split('\n').find((l) => l.includes('oFile'))!) as Record<string, unknown>;
      expect(line).toMatchObject({ layer: 'receive', openid: 'oFile', msg: 'to a file', appsecret: '[redacted]' });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
