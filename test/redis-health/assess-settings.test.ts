import { describe, expect, it } from 'vitest';
import { assessSettings } from '../../src/redis-health/assess-settings.js';
import type { RedisSettings } from '../../src/redis-health/read-redis-state.js';

const safe: RedisSettings = { appendonly: 'yes', appendfsync: 'everysec', save: '3600 1 300 100 60 10000', 'maxmemory-policy': 'noeviction', replicas: 1 };
const states = (s: Partial<RedisSettings>) => assessSettings({ ...safe, ...s }).map((f) => [f.setting, f.state]);
const finding = (s: Partial<RedisSettings>, setting: string) => assessSettings({ ...safe, ...s }).find((f) => f.setting === setting)!;

describe('assessSettings', () => {
  it('AOF fsynced every second (or always) and noeviction: every setting ok, no fix', () => {
    expect(states({})).toEqual([['appendonly', 'ok'], ['appendfsync', 'ok'], ['maxmemory-policy', 'ok']]);
    expect(states({ appendfsync: 'always' })[1]).toEqual(['appendfsync', 'ok']);
    expect(assessSettings(safe).every((f) => f.fix === undefined)).toBe(true);
  });

  it('no AOF: unsafe, with the fix; the risk depends on the RDB save points', () => {
    const none = finding({ appendonly: 'no', save: '' }, 'appendonly');
    expect(none).toMatchObject({ state: 'unsafe', value: 'no', fix: expect.stringContaining('CONFIG SET appendonly yes') });
    expect(none.risk).toContain('loses every key');
    expect(finding({ appendonly: 'no', save: '3600 1' }, 'appendonly').risk).toContain('since the last RDB snapshot (save "3600 1")');
    expect(finding({ appendonly: 'no', save: 'unknown' }, 'appendonly').risk).toContain('save points unknown');
  });

  it('appendfsync no and an evicting policy: unsafe, each with its fix', () => {
    expect(finding({ appendfsync: 'no' }, 'appendfsync')).toMatchObject({ state: 'unsafe', fix: expect.stringContaining('CONFIG SET appendfsync everysec') });
    for (const policy of ['allkeys-lru', 'volatile-lru', 'allkeys-random', 'volatile-ttl']) {
      expect(finding({ 'maxmemory-policy': policy }, 'maxmemory-policy')).toMatchObject({ state: 'unsafe', value: policy, fix: expect.stringContaining('maxmemory-policy noeviction') });
    }
  });

  it('unreadable settings are unknown, never guessed, and say what to make sure of', () => {
    expect(states({ appendonly: 'unknown', appendfsync: 'unknown', 'maxmemory-policy': 'unknown' }).map(([, s]) => s)).toEqual(['unknown', 'unknown', 'unknown']);
    expect(finding({ appendfsync: 'unknown' }, 'appendfsync').fix).toContain('appendfsync everysec');
  });
});
