import { execFile } from 'node:child_process';
import { mkdtemp, open, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSpool, listSpoolFiles, type SpoolFileHandle } from '../../src/queue/spool.js';
import { createSpoolDrainer } from '../../src/queue/spool-drainer.js';
import { countSpooled } from '../../src/queue/spool-depth.js';
import { INBOUND_QUEUE, type SpooledJob } from '../../src/queue/jobs.js';
import { bodyDigest, createNonceBodies, type NonceBodies } from '../../src/queue/nonce-bodies.js';
import { captureLogs } from '../helpers/log-capture.js';
import { deleteKeys, REDIS_URL, testPrefix } from '../helpers/redis-keys.js';
import { redisKeys } from '../../src/redis-keys.js';

function job(id: string): SpooledJob {
  return {
    queue: INBOUND_QUEUE,
    jobId: `m_wxspool_${id}`,
    data: { appid: 'wxspool', dedupKey: `m_wxspool_${id}`, receivedAt: Date.now(), reqId: `r${id}`, message: { ToUserName: 'gh', FromUserName: 'o1', CreateTime: '1', MsgType: 'text', Content: id, MsgId: id } as never },
  };
}

type Fault = { short: number } | { code: string };

/** Real files, but write number n (counted from 1 over every file opened) writes only `short` bytes, or fails with `code` having written none. */
function faultyFiles(faults: Record<number, Fault>): (path: string) => Promise<SpoolFileHandle> {
  let n = 0;
  return async (path) => {
    const fh = await open(path, 'a');
    return {
      async write(buffer, offset, length) {
        const fault = faults[++n];
        if (fault && 'code' in fault) throw Object.assign(new Error(`${fault.code}: injected`), { code: fault.code });
        return fh.write(buffer, offset, fault ? Math.min(fault.short, length) : length);
      },
      datasync: () => fh.datasync(),
      close: () => fh.close(),
    };
  };
}

let dir: string;
let prefix: string;
let redis: Redis;
let queue: Queue;
let nonceBodies: NonceBodies;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'wxgate-spool-test-'));
  prefix = testPrefix('spool');
  redis = new Redis(REDIS_URL);
  queue = new Queue(INBOUND_QUEUE, { connection: redis, prefix });
  nonceBodies = createNonceBodies({ redis }, { keys: redisKeys({ prefix }) });
});
afterEach(async () => {
  await queue.close();
  redis.disconnect();
  await deleteKeys(prefix);
  await rm(dir, { recursive: true, force: true });
});

describe('spool', () => {
  it('appends one JSON line per job, concurrently, and counts them', async () => {
    const spool = createSpool({ dir, owner: 'host-1' });
    await Promise.all(Array.from({ length: 50 }, (_, i) => spool.append(job(String(1000 + i)))));
    expect(spool.appended).toBe(50);
    expect(await countSpooled(dir)).toBe(50);
    const [file] = await listSpoolFiles(dir);
    const lines = (await readFile(file!.path, 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as SpooledJob);
    expect(new Set(lines.map((l) => l.jobId)).size).toBe(50);
    await spool.close();
  });

  it('rotate hands the file to the drainer; later appends open a new file', async () => {
    const spool = createSpool({ dir, owner: 'host-2' });
    await spool.append(job('1'));
    const draining = await spool.rotate();
    expect(draining).toMatch(/\.draining$/);
    await spool.append(job('2'));
    const files = await listSpoolFiles(dir);
    expect(files.map((f) => f.draining).sort()).toEqual([false, true]);
    await spool.close();
  });

  it('a write error hands the file to the drainer with the lines acked before it; the next append opens a new one', async () => {
    const spool = createSpool({ dir, owner: 'h-5', openFile: faultyFiles({ 2: { code: 'EIO' } }) });
    await spool.append(job('84'));
    await expect(spool.append(job('85'))).rejects.toMatchObject({ code: 'spool_failed' });
    expect((await listSpoolFiles(dir)).map((f) => f.draining)).toEqual([true]);
    await spool.append(job('86'));
    expect((await listSpoolFiles(dir)).map((f) => f.draining).sort()).toEqual([false, true]);
    const drainer = createSpoolDrainer({ spool, route: () => queue, redis, nonceBodies, logger: captureLogs().logger });
    expect(await drainer.drainOnce()).toBe(2);
    for (const id of ['84', '86']) expect(await queue.getJob(job(id).jobId)).toBeDefined();
    expect(await readdir(dir)).toEqual([]);
  });

  it('a short write is finished before the line is acked', async () => {
    const spool = createSpool({ dir, owner: 'h-6', openFile: faultyFiles({ 1: { short: 10 } }) });
    const j = job('91');
    await spool.append(j);
    const [file] = await listSpoolFiles(dir);
    expect(await readFile(file!.path, 'utf8')).toBe(`${JSON.stringify(j)}\n`);
    await spool.close();
  });

  it('a write that fails part-way is refused, and no line is written after its torn part', async () => {
    // A full disk: the write takes 10 bytes of the line, the next one fails.
    const spool = createSpool({ dir, owner: 'h-7', openFile: faultyFiles({ 2: { short: 10 }, 3: { code: 'ENOSPC' } }) });
    const [a, b, c] = [job('92'), job('93'), job('94')];
    await spool.append(a);
    await expect(spool.append(b)).rejects.toMatchObject({ code: 'spool_failed' });
    await spool.append(c);
    const files = await listSpoolFiles(dir);
    expect(await readFile(files.find((f) => f.draining)!.path, 'utf8')).toBe(`${JSON.stringify(a)}\n${JSON.stringify(b).slice(0, 10)}`);
    expect(await readFile(files.find((f) => !f.draining)!.path, 'utf8')).toBe(`${JSON.stringify(c)}\n`);
    const logs = captureLogs();
    expect(await createSpoolDrainer({ spool, route: () => queue, redis, nonceBodies, logger: logs.logger }).drainOnce()).toBe(2);
    for (const id of ['92', '94']) expect(await queue.getJob(job(id).jobId)).toBeDefined();
    expect(await queue.getJob(job('93').jobId)).toBeUndefined();
    expect(logs.lines.filter((l) => l.msg === 'skipped a torn spool line')).toHaveLength(1);
  });

  it('concurrent appends: a short write is finished before another line is written, a failed one is the last line of its file', async () => {
    for (const faults of [{ 5: { short: 7 } }, { 5: { short: 7 }, 6: { code: 'EIO' } }] as Record<number, Fault>[]) {
      const sub = await mkdtemp(join(dir, 'c-'));
      const spool = createSpool({ dir: sub, owner: 'h-8', openFile: faultyFiles(faults) });
      const jobs = Array.from({ length: 20 }, (_, i) => job(String(3000 + i)));
      const settled = await Promise.allSettled(jobs.map((j) => spool.append(j)));
      const acked = jobs.filter((_, i) => settled[i]!.status === 'fulfilled').map((j) => j.jobId);
      expect(settled.filter((r) => r.status === 'rejected').map((r) => (r as PromiseRejectedResult).reason.code)).toEqual(
        Array(20 - acked.length).fill('spool_failed'),
      );
      await spool.rotate();
      const lines: string[] = [];
      for (const file of await listSpoolFiles(sub)) lines.push(...(await readFile(file.path, 'utf8')).split('\n').filter((l) => l !== ''));
      const parsed = lines.flatMap((l) => {
        try {
          return [(JSON.parse(l) as SpooledJob).jobId];
        } catch {
          return [];
        }
      });
      expect(parsed.sort()).toEqual([...acked].sort());
      expect(lines.length - parsed.length).toBe(6 in faults ? 1 : 0); // the refused line's torn part
      await spool.close();
    }
  });

  it('under a real file-size limit (ulimit -f, EFBIG): every acked line drains, each refused one is torn at the end of its file', async () => {
    // A child process, since the limit is the process's own; tsx's cache would write past it.
    const child = fileURLToPath(new URL('../fixtures/spool/file-limit-child.ts', import.meta.url));
    const { stdout } = await promisify(execFile)('bash', ['-c', 'ulimit -f 4 && exec "$@"', 'bash', process.execPath, '--import', 'tsx', child, dir, '6', '1500'], {
      env: { ...process.env, TSX_DISABLE_CACHE: '1' },
    });
    const { acked, refused } = JSON.parse(stdout) as { acked: string[]; refused: { id: string; code: string }[] };
    // 4 KiB a file, ~1.6 KB a line: two lines fit, the third is cut at the limit.
    expect(acked).toEqual(['2000', '2001', '2003', '2004']);
    expect(refused).toEqual([
      { id: '2002', code: 'spool_failed' },
      { id: '2005', code: 'spool_failed' },
    ]);
    const spool = createSpool({ dir, owner: 'limit-1' });
    const logs = captureLogs();
    expect(await createSpoolDrainer({ spool, route: () => queue, redis, nonceBodies, logger: logs.logger }).drainOnce()).toBe(4);
    for (const id of acked) expect(await queue.getJob(`m_wxspool_${id}`)).toBeDefined();
    for (const { id } of refused) expect(await queue.getJob(`m_wxspool_${id}`)).toBeUndefined();
    expect(logs.lines.filter((l) => l.msg === 'skipped a torn spool line')).toHaveLength(2);
    expect(await readdir(dir)).toEqual([]);
  });

  it('fails with spool_failed when the directory cannot be written', async () => {
    const blocker = join(dir, 'file');
    await writeFile(blocker, 'x');
    const spool = createSpool({ dir: join(blocker, 'sub') });
    await expect(spool.append(job('1'))).rejects.toMatchObject({ code: 'spool_failed', status: 503 });
  });
});

describe('spool drainer', () => {
  it('moves every line into the queue once, deletes the file, and is idempotent', async () => {
    const spool = createSpool({ dir });
    for (const id of ['11', '12', '13']) await spool.append(job(id));
    await spool.append(job('11')); // a WeChat retry spooled twice
    const drainer = createSpoolDrainer({ spool, route: () => queue, redis, nonceBodies, logger: captureLogs().logger }, { batchSize: 2 });
    expect(await drainer.drainOnce()).toBe(4);
    expect(await queue.count()).toBe(3);
    expect(await readdir(dir)).toEqual([]);
    expect(await drainer.drainOnce()).toBe(0);
  });

  it('a drain interrupted by a crash leaves the file; the next pass completes it without duplicates', async () => {
    const spool = createSpool({ dir });
    for (const id of ['21', '22', '23', '24']) await spool.append(job(id));
    const path = await spool.rotate();
    // The crash: half the lines made it into Redis, then the process died before the unlink.
    for (const id of ['21', '22']) await queue.add('text', job(id).data, { jobId: job(id).jobId });
    expect((await listSpoolFiles(dir)).map((f) => f.path)).toEqual([path]);
    const drainer = createSpoolDrainer({ spool: createSpool({ dir }), route: () => queue, redis, nonceBodies, logger: captureLogs().logger });
    await drainer.drainOnce();
    expect(await queue.count()).toBe(4);
    expect(await readdir(dir)).toEqual([]);
  });

  it("claims a dead writer's active file on the same host, leaves a live one alone", async () => {
    const self = createSpool({ dir });
    const [host] = self.owner.split('-'); // the host part never has a '-'
    const dead = createSpool({ dir, owner: `${host}-999999-rdead` }); // no such pid
    const live = createSpool({ dir, owner: `${host}-${process.ppid}-rlive` });
    await dead.append(job('31'));
    await live.append(job('32'));
    await createSpoolDrainer({ spool: self, route: () => queue, redis, nonceBodies, logger: captureLogs().logger }).drainOnce();
    expect((await queue.getJob(job('31').jobId))?.data.message.Content).toBe('31');
    expect(await queue.getJob(job('32').jobId)).toBeUndefined();
    expect((await listSpoolFiles(dir)).map((f) => f.owner)).toEqual([`${host}-${process.ppid}-rlive`]);
    await Promise.all([dead.close(), live.close()]);
  });

  it('drains what an earlier run with our host and pid left (a container restarted as pid 1), old names too', async () => {
    const self = createSpool({ dir });
    const [host, pid] = self.owner.split('-');
    // That run died (kill -9, OOM) with its file still active: the same host and pid, another run.
    const earlier = createSpool({ dir, owner: `${host}-${pid}-rearlier` });
    await earlier.append(job('71'));
    await earlier.close();
    // A file the version before run ids wrote: `spool-<host>-<pid>-<generation>.jsonl`.
    await writeFile(join(dir, `spool-${host}-${pid}-17000000000001.jsonl`), `${JSON.stringify(job('72'))}\n`);
    await self.append(job('73'));
    const drainer = createSpoolDrainer({ spool: self, route: () => queue, redis, nonceBodies, logger: captureLogs().logger });
    expect(await drainer.drainOnce()).toBe(3);
    for (const id of ['71', '72', '73']) expect(await queue.getJob(job(id).jobId)).toBeDefined();
    expect(await readdir(dir)).toEqual([]);
  });

  it("never claims this run's own active file: another spool of this process may still append to it", async () => {
    const writer = createSpool({ dir });
    await writer.append(job('74'));
    await createSpoolDrainer({ spool: createSpool({ dir }), route: () => queue, redis, nonceBodies, logger: captureLogs().logger }).drainOnce();
    expect(await queue.getJob(job('74').jobId)).toBeUndefined();
    expect((await listSpoolFiles(dir)).map((f) => f.draining)).toEqual([false]);
    await writer.close();
  });

  it('applies the replay guard at drain time: a second message on the same nonce is dropped, and logged', async () => {
    const spool = createSpool({ dir, owner: 'h-2' });
    const guard = { id: 'n_wxspool_1700000000_123', ttlMs: 600_000 };
    await spool.append({ ...job('51'), guard });
    await spool.append({ ...job('51'), guard }); // WeChat's retry of the same message
    await spool.append({ ...job('52'), guard }); // another body on the same signed URL
    const logs = captureLogs();
    await createSpoolDrainer({ spool, route: () => queue, redis, nonceBodies, logger: logs.logger }).drainOnce();
    expect(await queue.getJob(job('51').jobId)).toBeDefined();
    expect(await queue.getJob(job('52').jobId)).toBeUndefined();
    expect(logs.find((l) => l.reason === 'nonce_replayed')).toMatchObject({ dedupKey: job('52').jobId });
  });

  it('drops a spooled push whose nonce came with another body under the same MsgId, and logs it', async () => {
    const spool = createSpool({ dir, owner: 'h-3' });
    const guard = { id: 'n_wxspool_1700000000_456', ttlMs: 600_000 };
    const forged = { ...job('61'), data: { ...job('61').data, message: { ...job('61').data.message, Content: 'forged' } } };
    await spool.append({ ...job('61'), guard: { ...guard, bodyHash: bodyDigest('<xml>61</xml>') } });
    await spool.append({ ...job('61'), guard: { ...guard, bodyHash: bodyDigest('<xml>61</xml>') } }); // WeChat's retry
    await spool.append({ ...forged, guard: { ...guard, bodyHash: bodyDigest('<xml>forged</xml>') } });
    const logs = captureLogs();
    await createSpoolDrainer({ spool, route: () => queue, redis, nonceBodies, logger: logs.logger }).drainOnce();
    expect((await queue.getJob(job('61').jobId))?.data.message.Content).toBe('61');
    expect(logs.lines.filter((l) => l.reason === 'nonce_replayed')).toHaveLength(1);
  });

  it('an append that fails leaves the lines acked before it in the file to the drainer (a job JSON cannot write)', async () => {
    const spool = createSpool({ dir, owner: 'h-4' });
    await spool.append(job('81'));
    const unserialisable = { ...job('82'), data: { ...job('82').data, receivedAt: 1n as never } }; // JSON.stringify throws on a BigInt
    await expect(spool.append(unserialisable)).rejects.toMatchObject({ code: 'spool_failed', status: 503 });
    await spool.append(job('83'));
    expect(await createSpoolDrainer({ spool, route: () => queue, redis, nonceBodies, logger: captureLogs().logger }).drainOnce()).toBe(2);
    for (const id of ['81', '83']) expect(await queue.getJob(job(id).jobId)).toBeDefined();
    expect(await readdir(dir)).toEqual([]);
  });

  it('skips a torn last line (a write that never got its fsync, so never acked)', async () => {
    const spool = createSpool({ dir, owner: 'h-1' });
    await spool.append(job('41'));
    const path = await spool.rotate();
    await writeFile(path!, (await readFile(path!, 'utf8')) + '{"queue":"inbound","jobId":"m_', 'utf8');
    const logs = captureLogs();
    expect(await createSpoolDrainer({ spool, route: () => queue, redis, nonceBodies, logger: logs.logger }).drainOnce()).toBe(1);
    expect(logs.find((l) => l.msg === 'skipped a torn spool line')).toBeDefined();
  });
});
