// Redis Cluster with credentials and TLS (issue 18): REDIS_CLUSTER_NODES's URL entries carry the
// ACL user and password (and rediss:// for TLS) once for every node, REDIS_TLS_CA_FILE the
// private CA. On real clusters of the test's own (test/helpers/redis-cluster.ts): a push goes in,
// is handled and answered at the mock; refused credentials and a failed handshake are one error
// line with its code; no password reaches a log line.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { createRedis } from '../../src/redis.js';
import { redisConnectProblem } from '../../src/redis-connect-problem.js';
import { inboundId, newOpenid, settled, startHarness, text, waitFor, type Harness } from '../fixtures/worker/harness.js';
import { ownCluster, type OwnCluster } from '../helpers/redis-cluster.js';
import { TEST_APP } from '../helpers/receiver.js';

// Characters that must be percent-encoded in a URL: the parsing is part of what is tested.
const PASSWORD = 'cl@ster:pa/ss%w0rd';
const USER = 'wxgate';
const base = { WECHAT_APPID: TEST_APP.appid, WECHAT_TOKEN: TEST_APP.token };

/** REDIS_CLUSTER_NODES with the scheme and credentials in the first entry only, the rest plain. */
function nodesWith(cluster: OwnCluster, first: string): string {
  return cluster.nodes.map((n, i) => (i === 0 ? `${first}127.0.0.1:${n.port}` : `127.0.0.1:${n.port}`)).join(',');
}

/** A push in, handled once by the worker, its reply at the mock; and no password in any line. */
async function pushHandledAndAnswered(h: Harness, password: string): Promise<void> {
  const openid = newOpenid();
  const msg = text(openid, 'behind a password');
  expect(await h.push(msg)).toEqual({ status: 200, text: 'success' });
  const sent = await waitFor(() => h.sentTo(openid).length === 1 && h.sentTo(openid), 'the reply');
  expect(sent[0]).toMatchObject({ msgtype: 'text', content: 'echo: behind a password' });
  const id = inboundId(msg.MsgId as string);
  expect((await settled(h.inbound, id)).returnvalue).toMatchObject({ replies: 1 });
  expect(h.t.logs.lines.find((l) => l.layer === 'receive' && l.dedupKey === id)).toMatchObject({ outcome: 'acked' });
  expect(h.t.logs.lines.filter((l) => l.layer === 'worker' && l.dedupKey === id && l.outcome === 'handled')).toHaveLength(1);
  expect(h.t.logs.raw.join('')).not.toContain(password);
  expect(h.t.logs.raw.join('')).not.toContain(encodeURIComponent(password));
}

/** The receiver starts (it spools while Redis cannot be reached) and its Redis watch says why, with `code`. */
async function failsWith(env: Record<string, string>, code: string): Promise<void> {
  const h = await startHarness({ env, workers: false });
  try {
    const line = await waitFor(() => h.t.logs.find((l) => l.layer === 'redis' && l.level === 50 && typeof l.code === 'string'), `the ${code} line`);
    expect(line.code).toBe(code);
    expect((await fetch(`${h.t.url}/readyz`)).status).toBe(503);
    const openid = newOpenid();
    expect(await h.push(text(openid, 'while Redis refuses us'))).toEqual({ status: 200, text: 'success' });
    expect(h.t.logs.lines.find((l) => l.layer === 'receive' && l.outcome)).toMatchObject({ outcome: 'spooled' });
    expect(h.t.logs.raw.join('')).not.toContain(PASSWORD);
    expect(h.t.logs.raw.join('')).not.toContain(encodeURIComponent(PASSWORD));
  } finally {
    await h.close();
  }
}

describe('a cluster whose nodes want an ACL user and password', () => {
  let cluster: OwnCluster;
  beforeAll(async () => {
    cluster = await ownCluster({ auth: { username: USER, password: PASSWORD } });
  }, 90_000);
  afterAll(async () => {
    await cluster?.stop();
  });

  it('the receiver and a worker work with the credentials given once, in the first entry', async () => {
    const h = await startHarness({ env: { REDIS_CLUSTER_NODES: nodesWith(cluster, `redis://${USER}:${encodeURIComponent(PASSWORD)}@`), WXGATE_ENQUEUE_TIMEOUT_MS: '1000' } });
    try {
      await pushHandledAndAnswered(h, PASSWORD);
    } finally {
      await h.close();
    }
  }, 60_000);

  it('a wrong password: redis_auth_failed', async () => {
    await failsWith({ REDIS_CLUSTER_NODES: nodesWith(cluster, `redis://${USER}:not-the-password@`), WXGATE_ENQUEUE_TIMEOUT_MS: '300' }, 'redis_auth_failed');
  }, 60_000);

  it('no credentials: redis_auth_failed', async () => {
    await failsWith({ REDIS_CLUSTER_NODES: cluster.nodesList, WXGATE_ENQUEUE_TIMEOUT_MS: '300' }, 'redis_auth_failed');
  }, 60_000);
});

describe('a cluster that speaks TLS only, with a private CA and a password', () => {
  let cluster: OwnCluster;
  beforeAll(async () => {
    cluster = await ownCluster({ auth: { password: PASSWORD }, tls: true });
  }, 90_000);
  afterAll(async () => {
    await cluster?.stop();
  });
  const tlsNodes = (password: string) => nodesWith(cluster, `rediss://:${encodeURIComponent(password)}@`);

  it('the receiver and a worker work over TLS with rediss:// and REDIS_TLS_CA_FILE', async () => {
    const h = await startHarness({ env: { REDIS_CLUSTER_NODES: tlsNodes(PASSWORD), REDIS_TLS_CA_FILE: cluster.tls!.caFile, WXGATE_ENQUEUE_TIMEOUT_MS: '1000' } });
    try {
      await pushHandledAndAnswered(h, PASSWORD);
    } finally {
      await h.close();
    }
  }, 60_000);

  it('without the CA: redis_tls_failed', async () => {
    await failsWith({ REDIS_CLUSTER_NODES: tlsNodes(PASSWORD), WXGATE_ENQUEUE_TIMEOUT_MS: '300' }, 'redis_tls_failed');
  }, 60_000);

  it('a wrong password over TLS: redis_auth_failed', async () => {
    await failsWith({ REDIS_CLUSTER_NODES: tlsNodes('not-the-password'), REDIS_TLS_CA_FILE: cluster.tls!.caFile, WXGATE_ENQUEUE_TIMEOUT_MS: '300' }, 'redis_auth_failed');
  }, 60_000);

  it('REDIS_TLS_CA_FILE holds for REDIS_URL\'s rediss:// too (one node, asked directly)', async () => {
    const url = `rediss://:${encodeURIComponent(PASSWORD)}@127.0.0.1:${cluster.nodes[0]!.port}`;
    const trusted = createRedis(loadConfig({ ...base, REDIS_URL: url, REDIS_TLS_CA_FILE: cluster.tls!.caFile }), 'worker');
    const untrusted = createRedis(loadConfig({ ...base, REDIS_URL: url }), 'worker', { maxRetriesPerRequest: 0, retryStrategy: () => null });
    const errors: unknown[] = [];
    untrusted.on('error', (err: Error) => errors.push(err));
    try {
      expect(await trusted.ping()).toBe('PONG');
      errors.push(await untrusted.ping().catch((e: unknown) => e));
      const problem = await waitFor(() => errors.map((e) => redisConnectProblem(e, {})).find(Boolean), 'the handshake\'s error');
      expect(problem.code).toBe('redis_tls_failed');
    } finally {
      trusted.disconnect();
      untrusted.disconnect();
    }
  });
});
