import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const BIN = fileURLToPath(new URL('../../bin/wxgate.js', import.meta.url));

function startCli(args: string[]) {
  const child = spawn(process.execPath, [BIN, 'mock-wechat', ...args], {
    env: { PATH: process.env.PATH, LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: Record<string, unknown>[] = [];
  const url = new Promise<string>((resolve) => {
    createInterface({ input: child.stdout }).on('line', (l) => {
      const line = JSON.parse(l) as Record<string, unknown>;
      lines.push(line);
      if (typeof line.url === 'string' && String(line.msg).startsWith('mock WeChat API at')) resolve(line.url);
    });
  });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += String(d)));
  return { child, url, lines, stderr: () => stderr };
}

describe('wxgate mock-wechat', { timeout: 60_000 }, () => {
  it('serves the mock, logs its URL, stops cleanly on SIGTERM', async () => {
    const { child, url, lines } = startCli(['--port', '0', '--secrets', 'wx1=s1', '--token-ttl', '60']);
    const base = await url;
    expect(base).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const ok = (await (await fetch(`${base}/cgi-bin/token?grant_type=client_credential&appid=wx1&secret=s1`)).json()) as Record<string, unknown>;
    expect(ok.expires_in).toBe(60);
    const bad = (await (await fetch(`${base}/cgi-bin/token?grant_type=client_credential&appid=wx1&secret=x`)).json()) as Record<string, unknown>;
    expect(bad.errcode).toBe(40125);
    const exit = once(child, 'exit');
    child.kill('SIGTERM');
    const [code] = await exit;
    expect(code).toBe(0);
    expect(lines.some((l) => l.msg === 'stopping')).toBe(true);
    // The secret never reaches the logs.
    expect(JSON.stringify(lines)).not.toContain('s1"');
  });

  it('rejects a malformed --secrets with a clear message', async () => {
    const { child, stderr } = startCli(['--secrets', 'justanappid']);
    const [code] = await once(child, 'exit');
    expect(code).toBe(78);
    expect(stderr()).toMatch(/--secrets/);
  });

  it('stops on SIGTERM while a latency fault holds a call', async () => {
    const { child, url } = startCli(['--port', '0']);
    const base = await url;
    await fetch(`${base}/__mock/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ path: 'send', latencyMs: 600_000, count: 1 }) });
    const held = fetch(`${base}/cgi-bin/message/custom/send?access_token=x`, { method: 'POST', body: '{}' }).catch(() => 'closed');
    // The call is in the mock's hands (sleeping on the fault) once the fault has left the list.
    for (let i = 0; i < 200; i++) {
      const faults = (await (await fetch(`${base}/__mock/faults`)).json()) as unknown[];
      if (faults.length === 0) break;
      await new Promise((r) => setTimeout(r, 25));
    }
    const exit = once(child, 'exit');
    child.kill('SIGTERM');
    expect((await exit)[0]).toBe(0);
    expect(await held).toBe('closed');
  });

  it('stops on SIGINT too', async () => {
    const { child, url } = startCli(['--port', '0']);
    await url;
    const exit = once(child, 'exit');
    child.kill('SIGINT');
    expect((await exit)[0]).toBe(0);
  });
});
