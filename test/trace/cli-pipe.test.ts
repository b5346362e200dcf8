// `wxgate trace … | head`: the reader closes the pipe early; trace must end quietly (issue 19).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const BIN = fileURLToPath(new URL('../../bin/wxgate.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'wxgate-pipe-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('wxgate trace | head', { timeout: 60_000 }, () => {
  it('exits 0 without an EPIPE stack when the reader stops early', () => {
    const log = join(dir, 'wxgate.log');
    // Far more output than a pipe buffers: 3000 messages of one user.
    const lines = Array.from({ length: 3000 }, (_, i) => JSON.stringify({ level: 30, time: 1796283600000 + i * 1000, layer: 'receive', appid: 'wxP', openid: 'oPipe', reqId: `r${i}`, stamp: 1796283600 + i, msgType: 'text', msgId: `m${i}`, dedupKey: `m_wxP_m${i}`, status: 200, outcome: 'acked', ms: 1 }));
    writeFileSync(log, `${lines.join('\n')}\n`);
    const r = spawnSync('bash', ['-c', `set -o pipefail; "${process.execPath}" "${BIN}" trace --openid oPipe "${log}" | head -1 > /dev/null`], { encoding: 'utf8' });
    expect(r.stderr).not.toMatch(/EPIPE/);
    expect(r.status).toBe(0);
  });
});
