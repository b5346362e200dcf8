// Moves spooled jobs into the inbound queue once Redis answers again. Idempotent: every job
// keeps its dedup key as job id, so a drain interrupted by a crash is simply run again, and a
// file is deleted only after every line of it is in Redis.
import { createReadStream } from 'node:fs';
import { rename, unlink } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import type { RedisConnection } from '../redis.js';
import type { Logger } from '../logger.js';
import type { InboundRoute } from './account-queues.js';
import { inboundJobOptions, type InboundJobOptionsConfig } from './inbound-job-options.js';
import type { SpooledJob } from './jobs.js';
import type { NonceBodies } from './nonce-bodies.js';
import type { ReplicaWait } from './replica-wait.js';
import { DRAINING_SUFFIX, ACTIVE_SUFFIX, listSpoolFiles, parseSpoolOwner, type Spool, type SpoolFile } from './spool.js';

export interface SpoolDrainer {
  /** One pass; resolves to the number of jobs moved. Throws if Redis refuses (the files stay). */
  drainOnce(): Promise<number>;
  start(): void;
  stop(): Promise<void>;
}

export interface SpoolDrainerOptions extends InboundJobOptionsConfig {
  intervalMs?: number;
  batchSize?: number;
  /** How long a batch waits for the replicas (WXGATE_REDIS_WAIT_REPLICAS) before the pass gives up. */
  replicaWaitMs?: number;
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * An active file whose writer on this host has died is ours to drain: another pid that is not
 * alive, or our own pid in another run (an earlier process that had this host and pid: a
 * container restarted as pid 1, a pid reused after a reboot). A name without a run id was
 * written before run ids, so with our pid it is from an earlier run too.
 */
function orphaned(file: SpoolFile, self: string): boolean {
  const me = parseSpoolOwner(self);
  const writer = parseSpoolOwner(file.owner);
  if (file.draining || !me || !writer || writer.host !== me.host) return false;
  return writer.pid === me.pid ? writer.run !== me.run : !processAlive(writer.pid);
}

async function claim(path: string): Promise<string | undefined> {
  const target = path.slice(0, -ACTIVE_SUFFIX.length) + DRAINING_SUFFIX;
  try {
    await rename(path, target);
    return target;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined; // another drainer won
    throw err;
  }
}

export function createSpoolDrainer(
  { spool, route, redis, nonceBodies, replicaWait, logger }: { spool: Spool; route: InboundRoute; redis: RedisConnection; nonceBodies: NonceBodies; replicaWait?: ReplicaWait; logger: Logger },
  { intervalMs = 1000, batchSize = 200, replicaWaitMs = 5000, ...jobOptions }: SpoolDrainerOptions = {},
): SpoolDrainer {
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<number> | undefined;

  /** Acknowledged while Redis was away, so it can no longer be refused: it is dropped, and said so. */
  function dropReplay(job: SpooledJob): void {
    logger.warn({ layer: 'spool', appid: job.data.appid, dedupKey: job.jobId, reason: 'nonce_replayed' }, 'spooled push dropped: its nonce came with another message or body');
  }

  async function addBatch(batch: SpooledJob[]): Promise<void> {
    // The body check first (the drain is not in a hurry, unlike the receiver): a line whose
    // nonce came with another body is never added. Run again after a crash, a line's own
    // earlier check answers 'same'.
    const verdicts = await Promise.all(batch.map((j) => (j.guard ? nonceBodies.check(j.data.appid, j.guard) : 'first')));
    const kept: SpooledJob[] = [];
    for (const [i, j] of batch.entries()) {
      if (verdicts[i] === 'other') dropReplay(j);
      else kept.push(j);
    }
    // One addBulk per queue the lines go to (one in the shared layout; per account and shard on a cluster).
    const byQueue = new Map<ReturnType<InboundRoute>, SpooledJob[]>();
    for (const j of kept) {
      const q = route(j.data.appid, j.jobId);
      byQueue.set(q, [...(byQueue.get(q) ?? []), j]);
    }
    await Promise.all(
      [...byQueue].map(async ([queue, lines]) => {
        const jobs = await queue.addBulk(lines.map((j) => ({ name: j.data.message.MsgType, data: j.data, opts: inboundJobOptions(j.jobId, jobOptions, j.guard) })));
        jobs.forEach((job, i) => {
          if (job.id !== lines[i]!.jobId) dropReplay(lines[i]!);
        });
        // The file goes only once the replicas have its jobs too (WXGATE_REDIS_WAIT_REPLICAS): else the next pass.
        await replicaWait?.wait(queue.toKey('id'), replicaWaitMs);
      }),
    );
  }

  async function drainFile(path: string): Promise<number> {
    const lines = createInterface({ input: createReadStream(path, 'utf8'), crlfDelay: Infinity });
    let batch: SpooledJob[] = [];
    let moved = 0;
    for await (const line of lines) {
      if (line.trim() === '') continue;
      try {
        batch.push(JSON.parse(line) as SpooledJob);
      } catch {
        // Only a file's last line can be torn, and its push was never acknowledged (WeChat retries
        // it): an append is acked only once its whole line is written and fsynced, and after a
        // write that failed part-way the spool writes nothing more to that file (spool.ts writeLine).
        logger.warn({ layer: 'spool', file: path }, 'skipped a torn spool line');
        continue;
      }
      if (batch.length >= batchSize) {
        await addBatch(batch);
        moved += batch.length;
        batch = [];
      }
    }
    await addBatch(batch);
    moved += batch.length;
    await unlink(path);
    return moved;
  }

  async function pass(): Promise<number> {
    if ((await listSpoolFiles(spool.dir)).length === 0) return 0;
    // Ask Redis first: while it is down, the current file stays open for appends.
    await redis.ping();
    await spool.rotate();
    let moved = 0;
    for (const file of await listSpoolFiles(spool.dir)) {
      const path = file.draining ? file.path : orphaned(file, spool.owner) ? await claim(file.path) : undefined;
      if (!path) continue;
      const started = Date.now();
      const n = await drainFile(path);
      moved += n;
      logger.info({ layer: 'spool', file: path, jobs: n, ms: Date.now() - started }, 'spool drained');
    }
    return moved;
  }

  const drainer: SpoolDrainer = {
    drainOnce() {
      running ??= pass().finally(() => {
        running = undefined;
      });
      return running;
    },
    start() {
      const tick = () => {
        drainer
          .drainOnce()
          .catch((err) => logger.debug({ layer: 'spool', err: (err as Error).message }, 'spool drain deferred: RedisConnection not ready'))
          .finally(() => {
            if (timer) timer = setTimeout(tick, intervalMs).unref();
          });
      };
      timer = setTimeout(tick, 0).unref();
    },
    async stop() {
      clearTimeout(timer);
      timer = undefined;
      await running?.catch(() => undefined);
    },
  };
  return drainer;
}

