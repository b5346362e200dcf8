import { Queue, Worker } from 'bullmq';
import { afterAll, describe, expect, it } from 'vitest';
import { keepFinished } from '../../src/queue/keep-finished.js';
import { inboundJobOptions } from '../../src/queue/inbound-job-options.js';
import { createRedis } from '../../src/redis.js';
import { deleteKeys, REDIS_URL, testPrefix } from '../helpers/redis-keys.js';

describe('keepFinished: retention is set on the workers', () => {
  const prefix = testPrefix('keep');
  const redis = createRedis(REDIS_URL, 'worker');
  afterAll(async () => {
    await deleteKeys(prefix);
    redis.disconnect();
  });

  it('defaults to 24 h for completed and 7 days for failed jobs; the job options carry none', () => {
    expect(keepFinished()).toEqual({ removeOnComplete: { age: 86_400 }, removeOnFail: { age: 604_800 } });
    expect(inboundJobOptions('m_wx_1')).not.toHaveProperty('removeOnComplete');
    expect(inboundJobOptions('m_wx_1')).not.toHaveProperty('removeOnFail');
  });

  it('a completed job stays (it is the dedup record) and a second add of its id is ignored', async () => {
    const queue = new Queue('inbound', { connection: redis, prefix });
    const worker = new Worker('inbound', async () => 'done', { connection: redis, prefix, ...keepFinished() });
    const done = new Promise((resolve) => worker.once('completed', resolve));
    await queue.add('text', { n: 1 }, inboundJobOptions('m_wxkeep_1'));
    await done;
    expect(await queue.getJobState('m_wxkeep_1')).toBe('completed');
    await queue.add('text', { n: 2 }, inboundJobOptions('m_wxkeep_1'));
    expect((await queue.getJob('m_wxkeep_1'))?.data).toEqual({ n: 1 });
    expect(await queue.getJobCounts('waiting', 'completed')).toEqual({ waiting: 0, completed: 1 });
    await worker.close();
    await queue.close();
  });

  it('completed jobs past the age are removed when later jobs finish', async () => {
    const queue = new Queue('aged', { connection: redis, prefix });
    const worker = new Worker('aged', async () => 'done', { connection: redis, prefix, ...keepFinished({ keepCompletedS: 1 }) });
    let completed = 0;
    worker.on('completed', () => completed++);
    await queue.add('a', {}, { jobId: 'first' });
    await expect.poll(() => completed).toBe(1);
    await new Promise((r) => setTimeout(r, 2100));
    await queue.add('b', {}, { jobId: 'second' });
    await expect.poll(() => completed).toBe(2);
    await expect.poll(() => queue.getJobState('first')).toBe('unknown');
    expect(await queue.getJobState('second')).toBe('completed');
    await worker.close();
    await queue.close();
  });
});
