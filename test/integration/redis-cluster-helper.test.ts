// The suite's own Redis Cluster (test/helpers/redis-cluster.ts) is a real one: six nodes, three
// masters with a replica each, every slot served, keys of other hash tags on other masters.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ownCluster, type OwnCluster } from '../helpers/redis-cluster.js';

let cluster: OwnCluster;
beforeAll(async () => {
  cluster = await ownCluster();
}, 60_000);
afterAll(async () => {
  await cluster?.stop();
});

describe('ownCluster', () => {
  it('runs three masters and three replicas with every slot assigned', async () => {
    const info = String(await cluster.node(cluster.nodes[0]!.port).call('CLUSTER', 'INFO'));
    expect(info).toContain('cluster_state:ok');
    expect(info).toContain('cluster_slots_assigned:16384');
    expect(info).toContain('cluster_known_nodes:6');
    expect(info).toContain('cluster_size:3');
  });

  it('spreads hash tags over the masters and answers through a cluster client', async () => {
    const client = cluster.client();
    const masters = new Set<string>();
    for (const tag of ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h']) {
      const key = `{wxt-helper:${tag}}:k`;
      await client.set(key, tag);
      expect(await client.get(key)).toBe(tag);
      const slot = Number(await client.call('CLUSTER', 'KEYSLOT', key));
      const shard = (await client.call('CLUSTER', 'SLOTS')) as [number, number, [string, number]][];
      masters.add(String(shard.find(([from, to]) => slot >= from && slot <= to)![2][1]));
      await client.del(key);
    }
    expect(masters.size).toBeGreaterThan(1);
  });
});
