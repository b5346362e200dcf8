// How `serve`, `worker` and `all` start: a port in use is one line naming its variable and exit
// 78 before any worker runs (issue 16); `all` with Redis unreachable still listens and spools,
// with one line for the workers' state (issue 14 item 7); --help lists the variables.
import { once } from 'node:events';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { freePort } from '../helpers/redis-server.js';
import { deleteKeys, testPrefix } from '../helpers/redis-keys.js';
import { childEnv, startWxgateChild, testPush, type WxgateChild } from '../helpers/wxgate-child.js';

const EXIT_BOUND_MS = 30_000;
let prefix: string;
let spoolDir: string;
let children: WxgateChild[] = [];

beforeEach(async () => {
  prefix = testPrefix('start');
  spoolDir = await mkdtemp(join(tmpdir(), 'wxgate-start-'));
});
afterEach(async () => {
  for (const c of children) await c.kill();
  children = [];
  await deleteKeys(prefix);
  await rm(spoolDir, { recursive: true, force: true });
});

function start(args: string[], env: Record<string, string>): WxgateChild {
  const c = startWxgateChild(args, env);
  children.push(c);
  return c;
}

describe('a port already in use', () => {
  let taken: Server;
  let port: number;
  beforeAll(async () => {
    taken = createServer();
    taken.listen(0, '127.0.0.1');
    await once(taken, 'listening');
    port = (taken.address() as { port: number }).port;
  });
  afterAll(() => {
    taken?.close();
  });

  for (const [command, variable] of [
    ['serve', 'PORT'],
    ['all', 'PORT'],
    ['worker', 'WXGATE_METRICS_PORT'],
  ] as const) {
    it(`${command}: one line naming ${variable}, exit 78, no worker started`, { timeout: 60_000 }, async () => {
      const env = childEnv(prefix, spoolDir, variable === 'PORT' ? { PORT: String(port) } : { WXGATE_METRICS_PORT: String(port) });
      const child = start([command], env);
      expect(await child.exit(EXIT_BOUND_MS)).toEqual({ code: 78, signal: null });
      const stderr = child.stderr().trim().split('\n');
      expect(stderr).toHaveLength(1);
      expect(stderr[0]).toContain(`${variable}=${port} is already in use`);
      expect(child.lines.find((l) => l.msg === 'workers running')).toBeUndefined();
    });
  }
});

describe('wxgate all with Redis unreachable', () => {
  it('listens, spools the push and answers success; one line for the workers\' state; exits on SIGTERM', { timeout: 60_000 }, async () => {
    const redisUrl = `redis://127.0.0.1:${await freePort()}`; // nothing listens there
    const child = start(['all'], { ...childEnv(prefix, spoolDir), REDIS_URL: redisUrl, WXGATE_SHUTDOWN_TIMEOUT_MS: '2000' });
    const listening = await child.line((l) => l.msg === 'receiver listening', 'the receiver to listen');
    const push = testPush();
    const res = await fetch(`${listening.url as string}${push.path}`, { method: 'POST', body: push.body, headers: { 'content-type': 'text/xml' } });
    expect(await res.text()).toBe('success');
    await child.line((l) => l.layer === 'receive' && l.outcome === 'spooled', 'the push\'s "spooled" line');
    expect((await readdir(spoolDir)).length).toBeGreaterThan(0);

    await child.line((l) => l.layer === 'worker' && l.redis === 'down', 'the workers\' "Redis unreachable" line');
    await sleep(3000); // reconnect attempts every ≤ 2 s: each used to log a `worker error` line per worker
    expect(child.lines.filter((l) => l.layer === 'worker' && l.redis === 'down')).toHaveLength(1);
    expect(child.lines.filter((l) => l.level === 40 && /error/.test(String(l.msg)))).toEqual([]);

    child.proc.kill('SIGTERM');
    expect(await child.exit(EXIT_BOUND_MS)).toMatchObject({ signal: null });
  });
});

describe('--help', () => {
  const help = async (command: string) => {
    const child = start([command, '--help'], {});
    expect(await child.exit(EXIT_BOUND_MS)).toEqual({ code: 0, signal: null });
    return child.raw.join('\n');
  };

  it('serve and all list the receiver\'s variables with their defaults; worker its own', { timeout: 60_000 }, async () => {
    const [serve, all, worker] = await Promise.all([help('serve'), help('all'), help('worker')]);
    for (const text of [serve, all]) {
      expect(text).toMatch(/^\s+PORT\s+3000\s/m);
      expect(text).toMatch(/^\s+WXGATE_BODY_LIMIT_BYTES\s+65536\s/m);
      expect(text).toMatch(/^\s+WXGATE_REQUEST_TIMEOUT_MS\s+10000\s/m);
    }
    for (const text of [serve, all, worker]) {
      expect(text).toMatch(/^\s+REDIS_URL\s+redis:\/\/127\.0\.0\.1:6379\s/m);
      expect(text).toMatch(/^\s+WXGATE_SHUTDOWN_TIMEOUT_MS\s+10000\s/m);
      expect(text).not.toMatch(/see README for the variables/);
    }
    for (const text of [all, worker]) expect(text).toMatch(/^\s+WXGATE_WORKER_CONCURRENCY\s+50\s/m);
    expect(worker).toMatch(/^\s+WXGATE_METRICS_PORT\s+—\s/m);
    expect(worker).not.toMatch(/^\s+PORT\s/m);
    expect(serve).not.toMatch(/^\s+WXGATE_HANDLERS\s/m);
  });
});
