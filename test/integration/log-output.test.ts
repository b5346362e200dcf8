// Where the log lines go and what a hard end loses (issue 14 item 8, issue 16): WXGATE_LOG_FILE
// writes exactly the file named (stdout too with WXGATE_LOG_STDOUT=1); lines are handed over
// within 50 ms, so a kill -9 more than that after a line (200 ms here, for a loaded machine)
// loses none of them; an uncaught exception is logged before the process dies.
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { deleteKeys, testPrefix } from '../helpers/redis-keys.js';
import { childEnv, startWxgateChild, testPush, type WxgateChild } from '../helpers/wxgate-child.js';

let prefix: string;
let dir: string;
let child: WxgateChild | undefined;

beforeEach(async () => {
  prefix = testPrefix('logs');
  dir = await mkdtemp(join(tmpdir(), 'wxgate-logs-'));
});
afterEach(async () => {
  await child?.kill();
  child = undefined;
  await deleteKeys(prefix);
  await rm(dir, { recursive: true, force: true });
});

/** Three pushes answered `success`: each one's log line was written before its answer. */
async function threePushes(url: string): Promise<void> {
  for (let i = 0; i < 3; i += 1) {
    const push = testPush();
    const res = await fetch(`${url}${push.path}`, { method: 'POST', body: push.body, headers: { 'content-type': 'text/xml' } });
    expect(await res.text()).toBe('success');
  }
}

const acked = (lines: Record<string, unknown>[]) => lines.filter((l) => l.msg === 'push acknowledged').length;

describe('log lines and kill -9', () => {
  it('stdout: every line logged 200 ms before a kill -9 is out', { timeout: 60_000 }, async () => {
    child = startWxgateChild(['serve'], childEnv(prefix, join(dir, 'spool')));
    const listening = await child.line((l) => l.msg === 'receiver listening', 'the receiver to listen');
    await threePushes(listening.url as string);
    await sleep(200);
    child.proc.kill('SIGKILL');
    await child.exited;
    expect(acked(child.lines)).toBe(3);
  });

  it('WXGATE_LOG_FILE=wxgate.log writes exactly wxgate.log, and stdout too with WXGATE_LOG_STDOUT=1; nothing lost to kill -9', { timeout: 60_000 }, async () => {
    const file = join(dir, 'logs', 'wxgate.log');
    child = startWxgateChild(['serve'], childEnv(prefix, join(dir, 'spool'), { WXGATE_LOG_FILE: file, WXGATE_LOG_STDOUT: '1' }));
    const listening = await child.line((l) => l.msg === 'receiver listening', 'the receiver to listen (on stdout)');
    await threePushes(listening.url as string);
    await sleep(200);
    child.proc.kill('SIGKILL');
    await child.exited;
    expect(await readdir(join(dir, 'logs'))).toEqual(['wxgate.log']);
    const inFile = (await readFile(file, 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(acked(inFile)).toBe(3);
    expect(acked(child.lines)).toBe(3);
    expect(inFile.find((l) => l.msg === 'receiver listening')).toBeDefined();
  });
});

describe('an uncaught exception', () => {
  it('is logged as a fatal line, after every line before it, and the process exits 1', { timeout: 60_000 }, async () => {
    const script = [
      "const { commandLogger } = await import('./src/cli/command-logger.ts');",
      "const { loadConfig } = await import('./src/config.ts');",
      "const log = commandLogger(loadConfig({ WECHAT_APPID: 'wxcrash', WECHAT_TOKEN: 'crash' }));",
      "for (let i = 0; i < 5; i++) log.info({ i }, 'before');",
      "setTimeout(() => { throw new Error('boom'); }, 10);",
    ].join('\n');
    const result = await promisify(execFile)(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: process.cwd() }).then(
      () => ({ code: 0, stdout: '' }),
      (err: { code: number; stdout: string }) => err,
    );
    expect(result.code).toBe(1);
    const lines = result.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.filter((l) => l.msg === 'before')).toHaveLength(5);
    expect(lines.at(-1)).toMatchObject({ level: 60, msg: 'uncaught exception: exiting', origin: 'uncaughtException', err: { message: 'boom' } });
  });
});
