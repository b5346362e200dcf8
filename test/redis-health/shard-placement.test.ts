import { describe, expect, it } from 'vitest';
import { redisKeys } from '../../src/redis-keys.js';
import { shardsTogether, shardTags } from '../../src/redis-health/shard-placement.js';

const keys = redisKeys({ prefix: 'wx', layout: 'account' });
// A made-up slot map: each tag's slot is its index in this list, each slot's master by name.
const placed = (masterOfTag: Record<string, string>) => {
  const tags = Object.keys(masterOfTag);
  return { slotOf: (tag: string) => tags.indexOf(tag), slotOwner: (slot: number) => masterOfTag[tags[slot]!], masters: new Set(Object.values(masterOfTag)).size };
};

describe('shardsTogether', () => {
  it('names the shards of an account that share a master, with their slots', () => {
    const [a] = shardTags(keys, [{ appid: 'wxa', queueShards: 3 }]);
    const map = placed({ [a!.tags[0]!]: 'm1', [a!.tags[1]!]: 'm2', [a!.tags[2]!]: 'm1' });
    expect(shardsTogether([a!], { ...map, masters: 3 })).toEqual([{ appid: 'wxa', master: 'm1', shards: [0, 2], slots: [0, 2] }]);
  });

  it('says nothing when each shard has a master of its own, or when there are more shards than masters', () => {
    const apps = [{ appid: 'wxa', queueShards: 3 }];
    const [a] = shardTags(keys, apps);
    expect(shardsTogether([a!], { ...placed({ [a!.tags[0]!]: 'm1', [a!.tags[1]!]: 'm2', [a!.tags[2]!]: 'm3' }), masters: 3 })).toEqual([]);
    // 3 shards on 2 masters: two must share one.
    expect(shardsTogether([a!], { ...placed({ [a!.tags[0]!]: 'm1', [a!.tags[1]!]: 'm2', [a!.tags[2]!]: 'm1' }), masters: 2 })).toEqual([]);
  });

  it('skips accounts with one shard, and slots the map does not know yet', () => {
    expect(shardTags(keys, [{ appid: 'wxa', queueShards: 1 }])).toEqual([]);
    const apps = [{ appid: 'wxa', queueShards: 2 }];
    const [a] = shardTags(keys, apps);
    expect(shardsTogether([a!], { slotOf: (tag) => a!.tags.indexOf(tag), slotOwner: () => undefined, masters: 3 })).toEqual([]);
  });
});
