// SIGTERM ends `wxgate serve` and `wxgate worker` within WXGATE_SHUTDOWN_TIMEOUT_MS whatever the
// clients or Redis do (issue 14 item 5): busy keep-alive connections get `Connection: close`, a
// client sending a byte at a time is cut at the deadline, a worker whose Redis is gone still
// exits, and a job still running at the deadline is left to another worker. The bounds only tell
// "exited" from "never" (the processes used to run on for minutes).
import { mkdtemp, rm } from 'node:fs/promises';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { inboundId, newOpenid, settled, startHarness, text, type Harness } from '../fixtures/worker/harness.js';
import { rawClient, within } from '../helpers/raw-client.js';
import { deleteKeys, testPrefix } from '../helpers/redis-keys.js';
import { ownRedis, type OwnRedis } from '../helpers/redis-server.js';
import { childEnv, startWxgateChild, testPush, type WxgateChild } from '../helpers/wxgate-child.js';

const EXIT_BOUND_MS = 30_000;
let prefix: string;
let spoolDir: string;
let children: WxgateChild[] = [];

beforeEach(async () => {
  prefix = testPrefix('stop');
  spoolDir = await mkdtemp(join(tmpdir(), 'wxgate-stop-'));
});
afterEach(async () => {
  for (const c of children) await c.kill();
  children = [];
  await deleteKeys(prefix);
  await rm(spoolDir, { recursive: true, force: true });
});

function start(args: string[], env: Record<string, string>, node?: string[]): WxgateChild {
  const c = startWxgateChild(args, env, node ? { node } : {});
  children.push(c);
  return c;
}

async function listeningPort(c: WxgateChild): Promise<number> {
  const l = await c.line((x) => x.msg === 'receiver listening', 'the receiver to listen');
  return Number(new URL(l.url as string).port);
}

interface Answer {
  status: number;
  connection: string | undefined;
  body: string;
}

/**
 * One push on a keep-alive connection, its body 30 ms after its headers: the connection is busy
 * with a request nearly all the time, as under a real load, rather than idle between the test's
 * own requests (an idle one is simply closed at the stop).
 */
function post(agent: Agent, port: number): Promise<Answer> {
  const push = testPush();
  return new Promise((resolve, reject) => {
    const headers = { 'content-type': 'text/xml', 'content-length': String(Buffer.byteLength(push.body)) };
    const req = request({ agent, host: '127.0.0.1', port, method: 'POST', path: push.path, headers }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, connection: res.headers.connection, body }));
    });
    req.on('error', reject);
    req.flushHeaders();
    setTimeout(() => req.end(push.body), 30);
  });
}

describe('wxgate serve on SIGTERM', () => {
  it('under a keep-alive load: answers carry Connection: close, in-flight pushes are answered, the process exits', { timeout: 60_000 }, async () => {
    const child = start(['serve'], childEnv(prefix, spoolDir, { WXGATE_SHUTDOWN_TIMEOUT_MS: '3000' }));
    const port = await listeningPort(child);
    const agent = new Agent({ keepAlive: true, maxSockets: 4 });
    const answers: (Answer & { afterSignal: boolean })[] = [];
    let signalled = false;
    let running = true;
    const load = async () => {
      while (running) {
        try {
          answers.push({ ...(await post(agent, port)), afterSignal: signalled });
        } catch {
          await sleep(20); // refused once the server stopped listening, or a connection it closed
        }
      }
    };
    const loops = [load(), load(), load(), load()];
    while (answers.length < 20) await sleep(20);

    signalled = true;
    child.proc.kill('SIGTERM');
    const exit = await child.exit(EXIT_BOUND_MS); // while the load goes on
    running = false;
    await Promise.all(loops);
    agent.destroy();

    expect(exit).toEqual({ code: 0, signal: null });
    expect(answers.every((a) => a.status === 200 && a.body === 'success')).toBe(true);
    expect(answers.filter((a) => a.afterSignal && a.connection === 'close').length).toBeGreaterThan(0);
  });

  it('a client sending a byte at a time does not hold it past the deadline; a stalled body is cut by the idle timeout', { timeout: 60_000 }, async () => {
    // The request timeout is 5 minutes here: only the idle timeout and the shutdown deadline act.
    const child = start(['serve'], childEnv(prefix, spoolDir, { WXGATE_SHUTDOWN_TIMEOUT_MS: '2000', WXGATE_REQUEST_TIMEOUT_MS: '300000', WXGATE_IDLE_TIMEOUT_MS: '1000' }));
    const port = await listeningPort(child);
    const push = testPush();
    const head = `POST ${push.path} HTTP/1.1\r\nHost: x\r\nContent-Type: text/xml\r\nContent-Length: 10000\r\n\r\n<xml>`; // within the body limit

    const stalled = await rawClient(port);
    stalled.socket.write(head);
    await within(stalled.closed, EXIT_BOUND_MS, 'the stalled body closed by the idle timeout');

    const slow = await rawClient(port);
    slow.socket.write(head);
    slow.trickle('a', 200);
    await sleep(500);
    child.proc.kill('SIGTERM');
    expect(await child.exit(EXIT_BOUND_MS)).toEqual({ code: 0, signal: null });
    await within(slow.closed, 5000, 'the slow client closed');
    expect(child.lines.find((l) => l.msg === 'connections still open at the shutdown deadline: closed')).toMatchObject({ connections: 1 });
  });
});

describe('wxgate worker on SIGTERM', () => {
  let redis: OwnRedis | undefined;
  afterEach(async () => {
    await redis?.stop();
    redis = undefined;
  });

  it('with its Redis down: one line per change of state, and it exits', { timeout: 90_000 }, async () => {
    redis = await ownRedis();
    await redis.start();
    const child = start(['worker'], { ...childEnv(prefix, spoolDir), REDIS_URL: redis.url, WXGATE_SHUTDOWN_TIMEOUT_MS: '2000' });
    await child.line((l) => l.msg === 'workers running', 'the workers to run');
    const downLines = () => child.lines.filter((l) => l.layer === 'worker' && l.redis === 'down');

    await redis.stop();
    await child.line((l) => l.layer === 'worker' && l.redis === 'down', 'the "Redis unreachable" line');
    await redis.start();
    await child.line((l) => l.layer === 'worker' && l.redis === 'up', 'the "Redis reachable again" line');
    await redis.stop();
    await child.line(() => downLines().length === 2, 'the second "Redis unreachable" line');
    await sleep(3000); // reconnect attempts every ≤ 2 s: each used to log a `worker error` line

    child.proc.kill('SIGTERM');
    expect(await child.exit(EXIT_BOUND_MS)).toMatchObject({ signal: null });
    expect(downLines()).toHaveLength(2);
    expect(child.lines.filter((l) => l.layer === 'worker' && l.redis === 'up')).toHaveLength(1);
    expect(child.lines.filter((l) => l.msg === 'worker error' || l.msg === 'outbound queue error')).toEqual([]);
  });
});

describe('a job still running at the shutdown deadline', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness({ workers: false });
  });
  afterEach(async () => {
    await h?.close();
  });

  it('is left to another worker: the stopping one exits without finishing it, the next one answers it once', { timeout: 60_000 }, async () => {
    const child = start([], { ...h.childEnv, WXGATE_SHUTDOWN_TIMEOUT_MS: '1500', WXT_LOCK_MS: '1500', WXT_STALLED_MS: '500' }, ['--import', 'tsx', 'test/fixtures/worker/run-worker.ts']);
    await child.line((l) => l.msg === 'test worker ready', 'the child worker');
    const openid = newOpenid();
    const msg = text(openid, 'slow:5000');
    const id = inboundId(msg.MsgId as string);
    expect((await h.push(msg)).text).toBe('success');
    await child.line((l) => l.msg === 'slow handler started' && l.dedupKey === id, 'the handler to start');

    child.proc.kill('SIGTERM');
    await child.exit(EXIT_BOUND_MS);
    expect(child.lines.find((l) => l.layer === 'worker' && l.dedupKey === id && l.outcome === 'handled')).toBeUndefined();

    await h.startWorkers({ lockDuration: 1500, stalledInterval: 500 });
    await settled(h.inbound, id);
    expect(await h.inbound.getJobState(id)).toBe('completed');
    await settled(h.outbound, `${id}_r0`);
    expect(h.sentTo(openid).map((s) => s.content)).toEqual(['done 5000']);
  });
});
