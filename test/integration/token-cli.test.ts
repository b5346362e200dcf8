// `wxgate token show|refresh` as a real process against the mock and real Redis.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fingerprint } from '../../src/fingerprint.js';
import { REDIS_URL, startHarness, type TokenHarness } from '../fixtures/token/harness.js';

const BIN = fileURLToPath(new URL('../../bin/wxgate.js', import.meta.url));
const APPID = 'wxcli000000001';
let h: TokenHarness;

beforeEach(async () => {
  h = await startHarness({ appsecrets: { [APPID]: 'cli-secret' } }, 'cli');
});
afterEach(async () => {
  await h.close();
});

async function wxgate(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const env = {
    PATH: process.env.PATH,
    REDIS_URL,
    WXGATE_PREFIX: h.prefix,
    WECHAT_APPID: APPID,
    WECHAT_TOKEN: 'clitesttoken',
    WECHAT_APPSECRET: 'cli-secret',
    WECHAT_API_BASE: h.url,
    LOG_LEVEL: 'info',
  };
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [BIN, 'token', ...args], { env });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('wxgate token', () => {
  it('show before any fetch, refresh (forced, under the lock), show again — never the token unless --reveal', { timeout: 120_000 }, async () => {
    const empty = await wxgate('show');
    expect(empty.code).toBe(0);
    expect(empty.stdout).toContain(APPID);
    expect(empty.stdout).toContain('(no valid token stored)');
    expect(h.mock.state.stats().tokenFetches.total).toBe(0);

    const refreshed = await wxgate('refresh');
    expect(refreshed.code).toBe(0);
    const token = h.mock.state.currentToken(APPID)!;
    expect(refreshed.stdout).toContain(fingerprint(token));
    expect(h.mock.state.stats().tokenFetches).toMatchObject({ total: 1, forced: 1 });

    const shown = await wxgate('show', '--appid', APPID);
    expect(shown.stdout).toMatch(new RegExp(`fingerprint\\s+${fingerprint(token)}`));
    expect(shown.stdout).toMatch(/source\s+stable_forced/);
    expect(shown.stdout).toMatch(/fetches today\s+1 of 2000/);
    expect(shown.stdout + shown.stderr + refreshed.stdout + refreshed.stderr).not.toContain(token);
    expect(shown.stdout + refreshed.stderr).not.toContain('cli-secret');

    const json = JSON.parse((await wxgate('show', '--json')).stdout) as Record<string, unknown>[];
    expect(json[0]).toMatchObject({ appid: APPID, fingerprint: fingerprint(token), fetches_today: 1, source: 'stable_forced' });
    expect(json[0]).not.toHaveProperty('access_token');

    const revealed = await wxgate('show', '--reveal');
    expect(revealed.stdout).toContain(token);
  });

  it('refresh --normal uses the stable API without forcing', { timeout: 60_000 }, async () => {
    expect((await wxgate('refresh', '--normal')).code).toBe(0);
    expect(h.mock.state.stats().tokenFetches).toMatchObject({ total: 1, forced: 0 });
  });

  it('unknown appid and bad usage fail clearly', { timeout: 60_000 }, async () => {
    const unknown = await wxgate('show', '--appid', 'wxnobody');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('wxnobody');
    expect((await wxgate('dance')).code).toBe(2);
  });
});
