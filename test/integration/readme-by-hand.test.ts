// The README's "by hand" block, run as written (issue 16): the mock, the gateway and the
// simulator started one right after the other — the simulator waits for the gateway's /readyz,
// so every push is acknowledged the first time — and its last line stops everything it started.
// Only the ports and the Redis prefix differ, through the environment (the block sets neither).
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../../src/dev/simulator/wxgate-process.js';
import { cleanEnv } from '../package/scratch.js';
import { deleteKeys, REDIS_URL, testPrefix } from '../helpers/redis-keys.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const prefix = testPrefix('readme');
afterAll(() => deleteKeys(prefix));

function byHandBlock(): string {
  const readme = readFileSync(new URL('README.md', `file://${ROOT}`), 'utf8');
  const m = /To do the same by hand:\n\n```sh\n([\s\S]*?)```/.exec(readme);
  if (!m) throw new Error('README.md has no "To do the same by hand" sh block');
  return m[1]!;
}

const listening = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });

describe('README: the by-hand block', () => {
  it('acknowledges every push the first time, shows the replies, and stops what it started', { timeout: 90_000 }, async () => {
    const block = byHandBlock();
    expect(block).toMatch(/^kill %1 %2\b/m);
    const [mockPort, port] = [await freePort(), await freePort()];
    // set -m: each background job in its own process group, as in an interactive shell. The trap
    // is for a run cut short by the time-out (SIGTERM) only: a normal end relies on the block's own kill.
    const script = `set -m\ntrap 'kill $(jobs -p) 2>/dev/null; exit 1' TERM\n${block.replaceAll('4000', String(mockPort))}`;
    const r = spawnSync('bash', ['-c', script], { cwd: ROOT, env: cleanEnv({ PORT: String(port), HOST: '127.0.0.1', REDIS_URL, WXGATE_PREFIX: prefix }), encoding: 'utf8', timeout: 80_000 });
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain('acknowledged first time 6 (100%)');
    expect(r.stdout).not.toMatch(/连接超时/);
    // curl's JSON (the mock's record of the sends) among the gateway's log lines on the same stdout.
    expect(r.stdout.match(/\{"path":"\/cgi-bin\/message\/custom\/send","appid":"wxdemo"/g)).toHaveLength(6);
    let up = true;
    for (let i = 0; i < 150 && up; i++) {
      up = (await listening(mockPort)) || (await listening(port));
      if (up) await sleep(100);
    }
    expect(up, 'the mock or the gateway still listens after kill %1 %2').toBe(false);
  });
});
