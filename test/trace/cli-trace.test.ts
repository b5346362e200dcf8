import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { run } from '../../src/cli/trace.js';
import { runCli } from './cli-io.js';
import { logPaths } from './fixtures.js';

const [ACCESS, WXGATE] = logPaths('request-timeout-enqueue') as [string, string];

describe('wxgate trace', () => {
  it('prints the timeline of the user\'s message around an alert time', async () => {
    const r = await runCli(run, ['--openid', 'oUSER1', '--at', '2014-12-01 20:12:00', ACCESS, WXGATE]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^openid oUSER1 · wx3f8a6c1d2e4b5a79 · text/);
    expect(r.stdout).toMatch(/receive .*enqueue 5\.10 s {2}!! over 5 s before the answer: WeChat timed out and retried {2}<- slowest/);
    expect(r.stdout).toMatch(/1 message\(s\) for openid oUSER1 between 2014-12-01 20:07:00 and 2014-12-01 20:17:00 \(\+08:00\); 9 lines read\n$/);
  });

  it('reads gzip from stdin alongside a file', async () => {
    const r = await runCli(run, ['--openid', 'oUSER1', '-', WXGATE], gzipSync(readFileSync(ACCESS)));
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/#1 +access/);
  });

  it('prints JSON with --json', async () => {
    const r = await runCli(run, ['--openid', 'oUSER1', '--from', '1417435900', '--to', '1417436000', '--json', ACCESS, WXGATE]);
    const body = JSON.parse(r.stdout);
    expect(body.query).toEqual({ openid: 'oUSER1', from: 1417435900000, to: 1417436000000 });
    expect(body.messages[0].outcome).toMatchObject({ kind: 'slow', layer: 'receive: enqueue' });
  });

  it('exits 1 when nothing matches', async () => {
    const r = await runCli(run, ['--openid', 'oNobody', ACCESS, WXGATE]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^0 message\(s\)/);
  });

  it.each([
    [[], /--openid ID/],
    [['--openid', 'o', '--at', 'noon'], /not a time/],
    [['--openid', 'o', '--at', '1417435900', '--from', '1417435900'], /not both/],
    [['--openid', 'o', '--window', 'abc'], /not a number/],
    [['--bogus'], /Unknown option/],
  ])('exits 2 on bad usage %j', async (argv, message) => {
    const r = await runCli(run, argv as string[]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).toContain('usage: wxgate trace');
  });

  it('exits 2 on a missing file', async () => {
    const r = await runCli(run, ['--openid', 'o', '/nonexistent/x.log']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/ENOENT/);
  });

  it('prints help', async () => {
    const r = await runCli(run, ['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^usage: wxgate trace/);
  });
});
