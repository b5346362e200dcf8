// deploy/systemd (issue 16): the units for `wxgate serve` and `wxgate worker` pass
// `systemd-analyze verify` with nothing to say (it prints a directive it cannot parse and still
// exits 0, so its output must be empty), restart on failure but not on a configuration error,
// and give wxgate's shutdown deadline time before SIGKILL. Skips only where systemd-analyze is absent.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const UNITS = { serve: 'wxgate-serve@.service', worker: 'wxgate-worker@.service' } as const;
const INSTANCE = { serve: 'wxgate-serve@3000.service', worker: 'wxgate-worker@9101.service' } as const;
const HAS_SYSTEMD_ANALYZE = spawnSync('systemd-analyze', ['--version']).error === undefined;
/** WXGATE_SHUTDOWN_TIMEOUT_MS's default. */
const SHUTDOWN_DEADLINE_S = 10;

const directive = (unit: string, name: string) => [...unit.matchAll(new RegExp(`^${name}=(.*)$`, 'gm'))].map((m) => m[1]!);

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'wxgate-systemd-'));
  for (const kind of ['serve', 'worker'] as const) await copyFile(join(ROOT, 'deploy/systemd', UNITS[kind]), join(dir, INSTANCE[kind]));
});
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe.each(['serve', 'worker'] as const)('deploy/systemd/%s unit', (kind) => {
  it.skipIf(!HAS_SYSTEMD_ANALYZE)('passes systemd-analyze verify without a word', () => {
    const r = spawnSync('systemd-analyze', ['verify', join(dir, INSTANCE[kind])], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(`${r.stdout}${r.stderr}`.trim()).toBe('');
  });

  it('runs the command, restarts on failure but not on exit 78, and outlasts the shutdown deadline', async () => {
    const unit = await readFile(join(ROOT, 'deploy/systemd', UNITS[kind]), 'utf8');
    expect(directive(unit, 'ExecStart')[0]).toMatch(new RegExp(`/node_modules/wxgate/bin/wxgate\\.js ${kind}$`));
    expect(existsSync(join(ROOT, 'bin/wxgate.js'))).toBe(true);
    expect(directive(unit, 'Restart')).toEqual(['on-failure']);
    expect(directive(unit, 'RestartPreventExitStatus')).toEqual(['78']);
    expect(directive(unit, 'KillSignal')).toEqual(['SIGTERM']);
    const stop = Number(/^(\d+)s$/.exec(directive(unit, 'TimeoutStopSec')[0] ?? '')?.[1]);
    const deadline = Number(/WXGATE_SHUTDOWN_TIMEOUT_MS=(\d+)/.exec(unit)?.[1]) / 1000;
    expect(deadline).toBe(SHUTDOWN_DEADLINE_S);
    expect(stop).toBeGreaterThan(deadline);
  });
});
