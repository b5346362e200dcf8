// Issue 18: a master of the test's own Redis Cluster SIGKILLed under a stream of signed pushes to
// `wxgate serve` + `wxgate worker` with WXGATE_REDIS_WAIT_REPLICAS=1; its replica is promoted
// (cluster-node-timeout 2 s) and the killed node comes back as the new master's replica. Every
// push answered `success` is handled once and replied to once: none lost, none twice, and the
// processes' cluster clients follow the promotion (the drain finishes).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runClusterFailover, type FailoverCounts } from '../../bench/faults/cluster-failover-run.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'wxgate-failover-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('a master killed under load, WXGATE_REDIS_WAIT_REPLICAS=1', () => {
  it('every acknowledged push is handled once and replied to once', { timeout: 150_000 }, async () => {
    const r: FailoverCounts = await runClusterFailover({ rate: 25, durationS: 8, killAtS: 2, waitReplicas: 1, workDir: dir, drainTimeoutMs: 45_000 });
    expect(r.pushes).toBe(200);
    expect(r.acked).toBe(r.pushes);
    expect(r.drainMs).toBeDefined();
    expect(r).toMatchObject({ lost: 0, duplicated: 0, handledTwice: 0 });
    expect(r.replies).toBe(r.acked);
    expect(r.handlerRuns).toBe(r.acked);
  });
});
