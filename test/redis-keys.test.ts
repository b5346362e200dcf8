import { describe, expect, it } from 'vitest';
import { redisKeys, type RedisKeys } from '../src/redis-keys.js';

/** The slot's hash tag as Redis Cluster reads it: the first {…} with something inside, else the whole key. */
function hashTag(key: string): string {
  const open = key.indexOf('{');
  const close = open === -1 ? -1 : key.indexOf('}', open + 1);
  return close > open + 1 ? key.slice(open + 1, close) : key;
}

const everyKey = (k: RedisKeys, appid: string) => [
  k.nonce(appid, `n_${appid}_1700000000_abc`),
  k.quota(appid, 'oUser'),
  k.rate(appid),
  k.sent(appid, 'i_1_r0'),
  k.token(appid),
  k.tokenLock(appid),
  k.tokenFetches(appid, '20261203'),
  k.tokenBackoff(appid),
  k.tokenFailures(appid),
  k.campaign(appid, 'c1'),
  k.campaignParked(appid, 'c1'),
  k.templatePause(appid),
  k.templateRate(appid),
  `${k.queuePrefix(appid)}:inbound:wait`,
];

describe('redis keys', () => {
  it('shared: the keys wxgate has always written, byte for byte', () => {
    const k = redisKeys({ prefix: 'wxgate' });
    expect(k.layout).toBe('shared');
    expect(everyKey(k, 'wxa')).toEqual([
      'wxgate:nonce:n_wxa_1700000000_abc',
      'wxgate:quota:wxa:oUser',
      'wxgate:rate:wxa',
      'wxgate:sent:i_1_r0',
      'wxgate:token:wxa',
      'wxgate:token:wxa:lock',
      'wxgate:token:wxa:fetches:20261203',
      'wxgate:token:wxa:backoff',
      'wxgate:token:wxa:failures',
      'wxgate:tcamp:c1',
      'wxgate:tcamp:c1:parked',
      'wxgate:tpause:wxa',
      'wxgate:trate:wxa',
      'wxgate:inbound:wait',
    ]);
    expect(k.queuePrefix('wxa', 2)).toBe('wxgate');
    expect(k.datasetMarker()).toBe('wxgate:redis-epoch');
  });

  it('shared with {wxgate}: everything in one slot, as before', () => {
    const k = redisKeys({ prefix: '{wxgate}' });
    expect(new Set([...everyKey(k, 'wxa'), ...everyKey(k, 'wxb')].map(hashTag))).toEqual(new Set(['wxgate']));
  });

  it('account: each account in a slot of its own, all its keys and queues together', () => {
    const k = redisKeys({ prefix: 'wxgate', layout: 'account' });
    expect(new Set(everyKey(k, 'wxa').map(hashTag))).toEqual(new Set(['wxgate:wxa']));
    expect(new Set(everyKey(k, 'wxb').map(hashTag))).toEqual(new Set(['wxgate:wxb']));
    expect(k.quota('wxa', 'oUser')).toBe('{wxgate:wxa}:quota:oUser');
    expect(k.queuePrefix('wxa')).toBe('{wxgate:wxa}');
  });

  it('account: an extra inbound shard has a tag of its own; shard 0 is the account', () => {
    const k = redisKeys({ prefix: 'wxgate', layout: 'account' });
    expect(k.queuePrefix('wxa', 0)).toBe('{wxgate:wxa}');
    expect(hashTag(`${k.queuePrefix('wxa', 1)}:inbound:wait`)).toBe('wxgate:wxa:1');
    expect(hashTag(`${k.queuePrefix('wxa', 3)}:inbound:wait`)).toBe('wxgate:wxa:3');
  });
});
