// Workers die and stop; messages do not get lost or answered twice. Worker processes are real
// child processes: kill -9 in the middle of a handler, SIGTERM while a job runs.
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createMetrics } from '../../src/metrics.js';
import { createRedis } from '../../src/redis.js';
import { keysOf } from '../../src/redis-keys.js';
import { createDlq } from '../../src/worker/dlq.js';
import { attachWorkerMetrics } from '../../src/worker/worker-metrics.js';
import { inboundId, newOpenid, settled, startHarness, text, waitFor, type Harness } from '../fixtures/worker/harness.js';

interface Child {
  readonly proc: ChildProcess;
  readonly lines: Record<string, unknown>[];
  readonly exited: Promise<number | null>;
}

function startChild(args: string[], env: Record<string, string>): Child {
  const proc = spawn(process.execPath, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: Record<string, unknown>[] = [];
  createInterface({ input: proc.stdout! }).on('line', (l) => {
    try {
      lines.push(JSON.parse(l) as Record<string, unknown>);
    } catch {
      lines.push({ raw: l });
    }
  });
  let stderr = '';
  proc.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  void exited.then((code) => code !== 0 && code !== null && stderr && process.stderr.write(`worker child stderr:\n${stderr}\n`));
  return { proc, lines, exited };
}

const childLine = (c: Child, pred: (l: Record<string, unknown>) => boolean, what: string) => waitFor(() => c.lines.find(pred), what, 25_000);

let h: Harness;
let child: Child | undefined;
// Short locks (the configuration's variables, in the child and here) so that a dead worker's
// job is free again soon.
const SHORT_LOCKS = { WXGATE_LOCK_DURATION_MS: '2000', WXGATE_STALLED_INTERVAL_MS: '500' };
beforeEach(async () => {
  h = await startHarness({ workers: false, env: SHORT_LOCKS });
});
afterEach(async () => {
  if (child && child.proc.exitCode === null && child.proc.signalCode === null) {
    child.proc.kill('SIGKILL');
    await child.exited;
  }
  child = undefined;
  await h?.close();
});

describe('a worker killed mid-handler (kill -9)', () => {
  it('loses nothing: the job is picked up by another worker and answered once', { timeout: 60_000 }, async () => {
    child = startChild(['--import', 'tsx', 'test/fixtures/worker/run-worker.ts'], h.childEnv);
    await childLine(child, (l) => l.msg === 'test worker ready', 'the child worker');
    const openid = newOpenid();
    const msg = text(openid, 'slow:2000');
    const id = inboundId(msg.MsgId as string);
    expect((await h.push(msg)).text).toBe('success');
    await childLine(child, (l) => l.msg === 'slow handler started' && l.dedupKey === id, 'the handler to start in the child');

    child.proc.kill('SIGKILL');
    await child.exited;
    expect(await h.inbound.getJobState(id)).toBe('active'); // still locked by the dead worker
    expect(h.sentTo(openid)).toHaveLength(0);

    await h.startWorkers();
    const job = await settled(h.inbound, id, 'the recovered job');
    expect(await job.getState()).toBe('completed');
    await settled(h.outbound, `${id}_r0`, 'the reply');
    expect(h.sentTo(openid).map((s) => s.content)).toEqual(['done 2000']);
    expect(await h.outbound.getJob(`${id}_r1`)).toBeUndefined();
    // The second run was here, in another worker.
    expect(h.t.logs.lines.find((l) => l.msg === 'slow handler started' && l.dedupKey === id)).toBeDefined();
    expect(h.t.logs.lines.filter((l) => l.layer === 'worker' && l.dedupKey === id && l.outcome === 'handled')).toHaveLength(1);
  });
});

describe('a job whose worker is killed twice (kill -9 ×2, issue 14)', () => {
  it('survives both: handled once, replied once (BullMQ\'s maxStalledCount 1 failed it)', { timeout: 90_000 }, async () => {
    const openid = newOpenid();
    const msg = text(openid, 'slow:2000');
    const id = inboundId(msg.MsgId as string);
    child = startChild(['--import', 'tsx', 'test/fixtures/worker/run-worker.ts'], h.childEnv);
    await childLine(child, (l) => l.msg === 'test worker ready', 'the first child worker');
    expect((await h.push(msg)).text).toBe('success');
    for (const round of ['first', 'second']) {
      await childLine(child, (l) => l.msg === 'slow handler started' && l.dedupKey === id, `the handler to start in the ${round} child`);
      child.proc.kill('SIGKILL');
      await child.exited;
      if (round === 'first') child = startChild(['--import', 'tsx', 'test/fixtures/worker/run-worker.ts'], h.childEnv); // its stalled check takes the job
    }
    expect(h.sentTo(openid)).toHaveLength(0);

    await h.startWorkers();
    const job = await settled(h.inbound, id, 'the job after two kills');
    expect(await job.getState()).toBe('completed');
    await settled(h.outbound, `${id}_r0`, 'the reply');
    expect(h.sentTo(openid).map((s) => s.content)).toEqual(['done 2000']);
    expect(h.t.logs.lines.filter((l) => l.layer === 'worker' && l.dedupKey === id && l.outcome === 'handled')).toHaveLength(1);
  });

  it('past maxStalledCount the job is in the dead-letter list with code job_stalled_too_often, an error line and a metric', { timeout: 60_000 }, async () => {
    child = startChild(['--import', 'tsx', 'test/fixtures/worker/run-worker.ts'], h.childEnv);
    await childLine(child, (l) => l.msg === 'test worker ready', 'the child worker');
    const openid = newOpenid();
    const msg = text(openid, 'slow:2000');
    const id = inboundId(msg.MsgId as string);
    expect((await h.push(msg)).text).toBe('success');
    await childLine(child, (l) => l.msg === 'slow handler started' && l.dedupKey === id, 'the handler to start in the child');
    child.proc.kill('SIGKILL');
    await child.exited;

    const metrics = createMetrics({ processMetrics: false });
    const runtime = await h.startWorkers({ maxStalledCount: 0 }, { metrics });
    attachWorkerMetrics(runtime.workers, metrics); // as src/cli/worker.ts does
    const job = await settled(h.inbound, id, 'the job given up');
    expect(await job.getState()).toBe('failed');
    const line = await waitFor(() => h.t.logs.lines.find((l) => l.code === 'job_stalled_too_often' && l.jobId === id), 'the job_stalled_too_often line');
    expect(line).toMatchObject({ level: 50, queue: 'inbound', dedupKey: id, openid, appid: expect.any(String) });
    const dlqRedis = createRedis(h.t.config, 'worker');
    const dlq = createDlq({ redis: dlqRedis }, { keys: keysOf(h.t.config), apps: h.t.config.apps });
    try {
      await waitFor(async () => (await dlq.show('inbound', id))?.code === 'job_stalled_too_often', 'the dead-letter entry with its code');
    } finally {
      await dlq.close();
      dlqRedis.disconnect();
    }
    expect(await metrics.registry.getSingleMetricAsString('wxgate_jobs_stalled_too_often_total')).toMatch(/queue="inbound"} 1/);
    expect(h.sentTo(openid)).toHaveLength(0);
  });
});

describe('a worker killed between WeChat\'s answer and the job\'s completion (kill -9)', () => {
  it('the send marker stops the second send: one copy at WeChat, and another worker completes the job', { timeout: 60_000 }, async () => {
    // The child holds each reply job for a minute after its marker is written: the window in
    // which a kill used to make the next worker send the reply again.
    child = startChild(['--import', 'tsx', 'test/fixtures/worker/run-worker.ts'], { ...h.childEnv, WXT_HOLD_AFTER_MARK_MS: '60000' });
    await childLine(child, (l) => l.msg === 'test worker ready', 'the child worker');
    const openid = newOpenid();
    const msg = text(openid, 'only once');
    const replyId = `${inboundId(msg.MsgId as string)}_r0`;
    expect((await h.push(msg)).text).toBe('success');
    await childLine(child, (l) => l.msg === 'send marker written' && l.jobId === replyId, 'WeChat to accept the reply in the child');
    expect(h.sentTo(openid)).toHaveLength(1);

    child.proc.kill('SIGKILL');
    await child.exited;
    expect(await h.outbound.getJobState(replyId)).toBe('active'); // still locked by the dead worker

    await h.startWorkers();
    const job = await settled(h.outbound, replyId, 'the recovered reply');
    expect(h.mock.state.sent({ touser: openid })).toHaveLength(1); // what GET /__mock/sent lists: no duplicate
    expect(await job.getState()).toBe('completed');
    expect(job.returnvalue).toMatchObject({ errcode: 0, alreadySentAt: expect.any(Number) });
    // Picked up here, by the stalled-job check, and not sent again.
    expect(h.t.logs.lines.find((l) => l.msg === 'stalled job recovered: it will run again' && l.jobId === replyId)).toBeDefined();
    expect(h.t.logs.lines.find((l) => l.layer === 'send' && l.jobId === replyId)).toMatchObject({ outcome: 'already_sent', openid });
  });
});

// A kill while the send waits for WeChat's answer: the outcome is unknown to the next run. The
// mock plays both cases: WeChat had not done the work yet (latencyMs: it waits, then finds the
// caller gone) and WeChat had done it (answerLatencyMs: recorded at once, the answer late).
describe('wxgate worker killed (kill -9) while its send waits for WeChat (issue 14 item 4)', () => {
  async function killMidSend(fault: { latencyMs: number } | { answerLatencyMs: number }, env: Record<string, string> = {}) {
    child = startChild(['bin/wxgate.js', 'worker'], { ...h.childEnv, ...env });
    await childLine(child, (l) => l.msg === 'workers running', 'wxgate worker to start');
    expect(child.lines.find((l) => l.msg === 'workers running')).toMatchObject({ lockDuration: 2000, stalledInterval: 500 });
    const openid = newOpenid();
    h.mock.state.faults.add({ path: 'send', openid, count: 1, ...fault }); // WeChat slow to answer this one
    const msg = text(openid, 'in flight');
    const replyId = `${inboundId(msg.MsgId as string)}_r0`;
    expect((await h.push(msg)).text).toBe('success');
    await waitFor(() => h.mock.state.stats().faults.applied >= 1, 'the send to reach WeChat');

    child.proc.kill('SIGKILL');
    await child.exited;
    expect(await h.outbound.getJobState(replyId)).toBe('active');
    return { openid, replyId };
  }
  const sendLines = (replyId: string) => h.t.logs.lines.filter((l) => l.layer === 'send' && l.jobId === replyId && Number(l.level) >= 30);

  it('WeChat had it: the next run holds the reply in the dead-letter list (send_outcome_unknown, WXGATE_UNKNOWN_SEND=hold by default): one copy, an error line, a metric', { timeout: 60_000 }, async () => {
    const { openid, replyId } = await killMidSend({ answerLatencyMs: 3000 });
    expect(h.sentTo(openid).map((s) => s.content)).toEqual(['echo: in flight']); // WeChat has it; the worker never knew

    const metrics = createMetrics({ processMetrics: false });
    const runtime = await h.startWorkers({}, { metrics });
    attachWorkerMetrics(runtime.workers, metrics);
    const job = await settled(h.outbound, replyId, 'the reply, run again by this worker');
    expect(await job.getState()).toBe('failed');
    expect(h.sentTo(openid)).toHaveLength(1); // not twice
    expect(h.t.logs.lines.find((l) => l.msg === 'stalled job recovered: it will run again' && l.jobId === replyId)).toBeDefined();
    expect(sendLines(replyId)).toEqual([expect.objectContaining({ level: 50, outcome: 'failed', code: 'send_outcome_unknown', policy: 'hold', openid, sendingSince: expect.any(Number) })]);
    await waitFor(async () => /action="held"} 1/.test(await metrics.registry.getSingleMetricAsString('wxgate_sends_outcome_unknown_total')), 'the metric');
    const dlqRedis = createRedis(h.t.config, 'worker');
    const dlq = createDlq({ redis: dlqRedis }, { keys: keysOf(h.t.config), apps: h.t.config.apps });
    try {
      expect(await dlq.show('outbound', replyId)).toMatchObject({ code: 'send_outcome_unknown' });
    } finally {
      await dlq.close();
      dlqRedis.disconnect();
    }
  });

  it('WeChat never had it: the held reply is sent once by `wxgate dlq retry`, the operator\'s call', { timeout: 60_000 }, async () => {
    const { openid, replyId } = await killMidSend({ latencyMs: 3000 });
    await h.startWorkers();
    expect(await (await settled(h.outbound, replyId, 'the reply held')).getState()).toBe('failed');
    expect(h.sentTo(openid)).toHaveLength(0);

    const dlqRedis = createRedis(h.t.config, 'worker');
    const dlq = createDlq({ redis: dlqRedis }, { keys: keysOf(h.t.config), apps: h.t.config.apps });
    try {
      expect(await dlq.retry('outbound', [replyId])).toEqual([replyId]);
    } finally {
      await dlq.close();
      dlqRedis.disconnect();
    }
    await waitFor(async () => (await h.outbound.getJobState(replyId)) === 'completed', 'the retried reply');
    expect(h.sentTo(openid).map((s) => s.content)).toEqual(['echo: in flight']);
    expect(sendLines(replyId).at(-1)).toMatchObject({ outcome: 'sent', errcode: 0 });
  });

  it('WXGATE_UNKNOWN_SEND=resend sends it again: no reply missing when WeChat never had it (and a duplicate when it had)', { timeout: 60_000 }, async () => {
    const { openid, replyId } = await killMidSend({ latencyMs: 3000 }, { WXGATE_UNKNOWN_SEND: 'resend' });
    const metrics = createMetrics({ processMetrics: false });
    const runtime = await h.startWorkers({ unknownSend: 'resend' }, { metrics });
    attachWorkerMetrics(runtime.workers, metrics);
    const job = await settled(h.outbound, replyId, 'the reply, run again by this worker');
    expect(await job.getState()).toBe('completed');
    expect(h.sentTo(openid).map((s) => s.content)).toEqual(['echo: in flight']);
    expect(sendLines(replyId)).toEqual([
      expect.objectContaining({ level: 40, code: 'send_outcome_unknown', policy: 'resend' }),
      expect.objectContaining({ outcome: 'sent', errcode: 0 }),
    ]);
    expect(await metrics.registry.getSingleMetricAsString('wxgate_sends_outcome_unknown_total')).toMatch(/action="resent"} 1/);
  });
});

describe('a handler run again after kill -9, when its first reply already went out', () => {
  it.each([
    ['kept (completed, within its day)', false],
    ['already removed', true],
  ])('the reply job %s: the re-run queues it again but WeChat gets it once', { timeout: 60_000 }, async (_name, removeFirst) => {
    child = startChild(['--import', 'tsx', 'test/fixtures/worker/run-worker.ts'], h.childEnv);
    await childLine(child, (l) => l.msg === 'test worker ready', 'the child worker');
    const openid = newOpenid();
    const msg = text(openid, 'progress:3000'); // ctx.reply('working on it') at once, 'finished' 3 s later
    const id = inboundId(msg.MsgId as string);
    expect((await h.push(msg)).text).toBe('success');
    const first = await settled(h.outbound, `${id}_r0`, 'the first reply, sent by the child');
    expect(await first.getState()).toBe('completed');

    child.proc.kill('SIGKILL'); // while the handler still works on its answer
    await child.exited;
    expect(await h.inbound.getJobState(id)).toBe('active');
    if (removeFirst) await h.outbound.remove(`${id}_r0`); // as keep-finished does after a day

    await h.startWorkers();
    expect(await (await settled(h.inbound, id, 'the handler run again')).getState()).toBe('completed');
    await settled(h.outbound, `${id}_r1`, 'the second reply');
    await settled(h.outbound, `${id}_r0`, 'the first reply again');
    expect(h.sentTo(openid).map((s) => s.content)).toEqual(['working on it', 'finished']);
  });
});

describe('wxgate worker on SIGTERM', () => {
  it('lets the running job finish, starts no new one, exits 0; nothing is lost', { timeout: 60_000 }, async () => {
    child = startChild(['bin/wxgate.js', 'worker'], h.childEnv);
    await childLine(child, (l) => l.msg === 'workers running', 'wxgate worker to start');
    const openid = newOpenid();
    const first = text(openid, 'slow:2000');
    const firstId = inboundId(first.MsgId as string);
    expect((await h.push(first)).text).toBe('success');
    await childLine(child, (l) => l.msg === 'slow handler started' && l.dedupKey === firstId, 'the handler to start');

    child.proc.kill('SIGTERM');
    await childLine(child, (l) => l.msg === 'stopping', 'the worker to begin stopping');
    const second = text(openid, 'after stop', { createTime: Math.floor(Date.now() / 1000) + 1 });
    const secondId = inboundId(second.MsgId as string);
    expect((await h.push(second)).text).toBe('success');

    expect(await child.exited).toBe(0);
    expect(await h.inbound.getJobState(firstId)).toBe('completed');
    expect(child.lines.find((l) => l.layer === 'worker' && l.dedupKey === firstId)).toMatchObject({ outcome: 'handled' });
    expect(await h.outbound.getJob(`${firstId}_r0`)).toBeDefined();
    expect(await h.inbound.getJobState(secondId)).toBe('waiting');
    expect(child.lines.find((l) => l.dedupKey === secondId)).toBeUndefined();

    // Another worker takes over what is left.
    await h.startWorkers();
    await settled(h.inbound, secondId);
    await settled(h.outbound, `${secondId}_r0`);
    await settled(h.outbound, `${firstId}_r0`);
    expect(h.sentTo(openid).map((s) => s.content).sort()).toEqual(['done 2000', 'echo: after stop']);
  });
});
