import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { ConfigError } from '../src/errors.js';

const base = { WECHAT_APPID: 'wx1234567890', WECHAT_TOKEN: 'abc123' };

function failure(env: Record<string, string>): ConfigError {
  try {
    loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('defaults from the design table', () => {
    const c = loadConfig(base);
    expect(c).toMatchObject({ port: 3000, host: '0.0.0.0', redisUrl: 'redis://127.0.0.1:6379', prefix: 'wxgate', apiBase: 'https://api.weixin.qq.com', spoolDir: './data/spool', timestampToleranceS: 300, logLevel: 'info', bodyLimitBytes: 65536, defaultAppid: 'wx1234567890' });
    expect(c.apps).toEqual([{ appid: 'wx1234567890', token: 'abc123', tokenApi: 'stable', mode: 'plain', replyMode: 'custom', queueShards: 1 }]);
    expect(c.passive).toEqual({ waitMs: 4000, useRetries: false });
    expect(c).toMatchObject({ keyLayout: 'shared', redisClusterNodes: undefined });
    expect(Object.isFrozen(c)).toBe(true);
  });

  it.each([
    [{ ...base, WECHAT_ENCODING_AES_KEY: 'short' }, 'WECHAT_ENCODING_AES_KEY'],
    [{ ...base, WECHAT_ENCODING_AES_KEY_PREVIOUS: 'x'.repeat(44) }, 'WECHAT_ENCODING_AES_KEY_PREVIOUS'],
    [{ WECHAT_TOKEN: 'abc123' }, 'WECHAT_APPID'],
    [{ WECHAT_APPID: 'wx1' }, 'WECHAT_TOKEN'],
    [{ ...base, WECHAT_TOKEN: 'has space' }, 'WECHAT_TOKEN'],
    [{ ...base, PORT: 'eighty' }, 'PORT'],
    [{ ...base, REDIS_URL: 'http://x' }, 'REDIS_URL'],
    [{ ...base, WXGATE_TIMESTAMP_TOLERANCE_S: '0' }, 'WXGATE_TIMESTAMP_TOLERANCE_S'],
    [{ ...base, LOG_LEVEL: 'loud' }, 'LOG_LEVEL'],
    [{ ...base, WXGATE_PREFIX: 'a:b' }, 'WXGATE_PREFIX'],
    [{ ...base, WECHAT_MESSAGE_MODE: 'aes' }, 'WECHAT_MESSAGE_MODE'],
    [{ ...base, WECHAT_REPLY_MODE: 'inline' }, 'WECHAT_REPLY_MODE'],
    [{ ...base, WXGATE_PASSIVE_WAIT_MS: '5000' }, 'WXGATE_PASSIVE_WAIT_MS'],
    [{ ...base, WXGATE_PASSIVE_WAIT_MS: '4501' }, 'WXGATE_PASSIVE_WAIT_MS'],
    [{ ...base, WXGATE_PASSIVE_WAIT_MS: '49' }, 'WXGATE_PASSIVE_WAIT_MS'],
    [{ ...base, WXGATE_PASSIVE_USE_RETRIES: 'yes' }, 'WXGATE_PASSIVE_USE_RETRIES'],
    [{}, 'WECHAT_APPID'],
  ])('names the bad variable: %j', (env, name) => {
    const err = failure(env as Record<string, string>);
    expect(err.code).toBe('config_invalid');
    expect(err.message).toContain(name);
  });

  describe('the message centre (issue 15)', () => {
    it('is off without WXGATE_DATABASE_URL; rate unlimited, 200 sends in flight by default', () => {
      expect(loadConfig(base).campaigns).toEqual({ databaseUrl: undefined, databaseSchema: 'public', ratePerSecond: undefined, concurrency: 200 });
      expect(loadConfig({ ...base, WXGATE_DATABASE_URL: 'postgres://u@db:5432/w', WXGATE_DATABASE_SCHEMA: 'wxgate', WXGATE_TEMPLATE_RATE: '12.5' }).campaigns).toMatchObject({ databaseUrl: 'postgres://u@db:5432/w', databaseSchema: 'wxgate', ratePerSecond: 12.5 });
    });
    it.each([
      [{ WXGATE_DATABASE_URL: 'mysql://u@db/w' }, 'WXGATE_DATABASE_URL'],
      [{ WXGATE_DATABASE_SCHEMA: 'Bad-Name' }, 'WXGATE_DATABASE_SCHEMA'],
      [{ WXGATE_TEMPLATE_RATE: '0' }, 'WXGATE_TEMPLATE_RATE'],
      [{ WXGATE_TEMPLATE_CONCURRENCY: 'many' }, 'WXGATE_TEMPLATE_CONCURRENCY'],
    ])('names the bad variable: %j', (env, name) => {
      const err = failure({ ...base, ...env });
      expect(err.code).toBe('config_invalid');
      expect(err.message).toContain(name);
    });
  });

  describe('WECHAT_MESSAGE_MODE (issue 14)', () => {
    const key = 'k'.repeat(43);
    it.each([
      [{}, 'plain'],
      [{ WECHAT_ENCODING_AES_KEY: key }, 'safe'],
      [{ WECHAT_ENCODING_AES_KEY: key, WECHAT_MESSAGE_MODE: 'compat' }, 'compat'],
      [{ WECHAT_ENCODING_AES_KEY: key, WECHAT_MESSAGE_MODE: 'plain' }, 'plain'],
      [{ WECHAT_ENCODING_AES_KEY: key, WECHAT_MESSAGE_MODE: ' safe ' }, 'safe'],
    ])('%j → %s', (env, mode) => {
      expect(loadConfig({ ...base, ...env }).apps[0]!.mode).toBe(mode);
    });

    it.each(['safe', 'compat'])('%s without a key names the variable and the key', (mode) => {
      const err = failure({ ...base, WECHAT_MESSAGE_MODE: mode });
      expect(err.code).toBe('config_invalid');
      expect(err.message).toContain('WECHAT_MESSAGE_MODE');
      expect(err.message).toContain('WECHAT_ENCODING_AES_KEY');
    });
  });

  it('reads mode in WXGATE_APPS_FILE entries, with the same default and checks', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'wxgate-config-'));
    const file = async (entries: unknown[]) => {
      const path = join(dir, `${entries.length}-${Math.random()}.json`);
      await writeFile(path, JSON.stringify(entries));
      return path;
    };
    try {
      const c = loadConfig({ WXGATE_APPS_FILE: await file([{ appid: 'wxA', token: 'tokA', encodingAESKey: 'a'.repeat(43) }, { appid: 'wxB', token: 'tokB' }, { appid: 'wxC', token: 'tokC', encodingAESKey: 'c'.repeat(43), mode: 'compat' }]) });
      expect(c.apps.map((a) => a.mode)).toEqual(['safe', 'plain', 'compat']);
      expect(failure({ WXGATE_APPS_FILE: await file([{ appid: 'wxA', token: 'tokA' }, { appid: 'wxB', token: 'tokB', mode: 'secure' }]) }).message).toMatch(/WXGATE_APPS_FILE.*entry 1 \(mode\)/);
      const noKey = failure({ WXGATE_APPS_FILE: await file([{ appid: 'wxA', token: 'tokA', mode: 'safe' }]) }).message;
      expect(noKey).toMatch(/WXGATE_APPS_FILE.*entry 0 \(mode\)/);
      expect(noKey).toContain('encodingAESKey');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('accounts that accept plaintext need a Token of their own: a URL signed for one would pass on the other', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'wxgate-config-'));
    const file = async (entries: unknown[]) => {
      const path = join(dir, `${Math.random()}.json`);
      await writeFile(path, JSON.stringify(entries));
      return path;
    };
    const key = 'k'.repeat(43);
    try {
      const shared = failure({ WXGATE_APPS_FILE: await file([{ appid: 'wxA', token: 'same1', encodingAESKey: key }, { appid: 'wxB', token: 'same1' }]) });
      expect(shared.code).toBe('config_invalid');
      expect(shared.message).toMatch(/wxA and wxB have the same Token.*wxB accepts plaintext/);
      expect(failure({ WXGATE_APPS_FILE: await file([{ appid: 'wxA', token: 'same1', encodingAESKey: key, mode: 'compat' }, { appid: 'wxB', token: 'same1', encodingAESKey: key }]) }).code).toBe('config_invalid');
      // Encrypted pushes only on both: the ciphertext names its account.
      expect(loadConfig({ WXGATE_APPS_FILE: await file([{ appid: 'wxA', token: 'same1', encodingAESKey: key }, { appid: 'wxB', token: 'same1', encodingAESKey: key }]) }).apps).toHaveLength(2);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('reply modes (issue 17): WECHAT_REPLY_MODE, replyMode per entry, the wait and the retry mode', async () => {
    expect(loadConfig({ ...base, WECHAT_REPLY_MODE: 'passive', WXGATE_PASSIVE_WAIT_MS: '4500', WXGATE_PASSIVE_USE_RETRIES: '1' })).toMatchObject({ apps: [{ replyMode: 'passive' }], passive: { waitMs: 4500, useRetries: true } });
    expect(failure({ ...base, WXGATE_PASSIVE_WAIT_MS: '5000' }).message).toMatch(/WXGATE_PASSIVE_WAIT_MS="5000" is not valid: set it to a whole number from 50 to 4500/);
    const dir = await mkdtemp(join(tmpdir(), 'wxgate-config-'));
    try {
      const path = join(dir, 'apps.json');
      await writeFile(path, JSON.stringify([{ appid: 'wxA', token: 'tokA', replyMode: 'auto' }, { appid: 'wxB', token: 'tokB' }, { appid: 'wxC', token: 'tokC', replyMode: 'passive' }]));
      expect(loadConfig({ WXGATE_APPS_FILE: path }).apps.map((a) => a.replyMode)).toEqual(['auto', 'custom', 'passive']);
      await writeFile(path, JSON.stringify([{ appid: 'wxA', token: 'tokA', replyMode: 'sync' }]));
      expect(failure({ WXGATE_APPS_FILE: path }).message).toMatch(/WXGATE_APPS_FILE.*entry 0 \(replyMode\)/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('reads WXGATE_APPS_FILE and rejects a bad entry by index and field', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'wxgate-config-'));
    try {
      const good = join(dir, 'good.json');
      await writeFile(good, JSON.stringify([{ appid: 'wxA', token: 'tokA', encodingAESKey: 'a'.repeat(43) }, { appid: 'wxB', token: 'tokB', tokenApi: 'classic' }]));
      const c = loadConfig({ WXGATE_APPS_FILE: good });
      expect(c.apps.map((a) => a.appid)).toEqual(['wxA', 'wxB']);
      expect(c.defaultAppid).toBeUndefined();
      const bad = join(dir, 'bad.json');
      await writeFile(bad, JSON.stringify([{ appid: 'wxA', token: 'tokA' }, { appid: '', token: 'tokB' }]));
      expect(failure({ WXGATE_APPS_FILE: bad }).message).toMatch(/WXGATE_APPS_FILE.*entry 1 \(appid\)/);
      expect(failure({ WXGATE_APPS_FILE: join(dir, 'missing.json') }).message).toContain('WXGATE_APPS_FILE');
      expect(failure({ WXGATE_APPS_FILE: good, WECHAT_APPID: 'wxA', WECHAT_TOKEN: 'abc' }).message).toContain('wxA');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('lock duration and stalled interval: a killed worker\'s jobs come back within 15 s by default (issue 14)', () => {
    const { lockDurationMs, stalledIntervalMs } = loadConfig(base).worker;
    expect({ lockDurationMs, stalledIntervalMs }).toEqual({ lockDurationMs: 10_000, stalledIntervalMs: 2500 });
    expect(lockDurationMs + stalledIntervalMs).toBeLessThanOrEqual(15_000);
    expect(loadConfig({ ...base, WXGATE_LOCK_DURATION_MS: '30000', WXGATE_STALLED_INTERVAL_MS: '1000' }).worker).toMatchObject({ lockDurationMs: 30_000, stalledIntervalMs: 1000 });
  });

  it.each([
    [{ WXGATE_LOCK_DURATION_MS: '1999' }, 'WXGATE_LOCK_DURATION_MS'],
    [{ WXGATE_LOCK_DURATION_MS: 'ten' }, 'WXGATE_LOCK_DURATION_MS'],
    [{ WXGATE_STALLED_INTERVAL_MS: '50' }, 'WXGATE_STALLED_INTERVAL_MS'],
    [{ WXGATE_STALLED_INTERVAL_MS: '1.5' }, 'WXGATE_STALLED_INTERVAL_MS'],
    [{ WXGATE_LOCK_DURATION_MS: '4000', WXGATE_STALLED_INTERVAL_MS: '5000' }, 'WXGATE_STALLED_INTERVAL_MS'],
  ])('refuses a bad lock setting, naming it: %j', (env, name) => {
    const err = failure({ ...base, ...env });
    expect(err.code).toBe('config_invalid');
    expect(err.message).toContain(name);
  });

  it('commands without an account can start without one', () => {
    expect(loadConfig({}, { requireApps: false }).apps).toEqual([]);
  });
});

describe('loadConfig: the queue dashboard credential', () => {
  it('off unless both WXGATE_DASHBOARD_USER and _PASSWORD are set', () => {
    expect(loadConfig(base).dashboard).toBeUndefined();
    expect(loadConfig({ ...base, WXGATE_DASHBOARD_USER: 'ops', WXGATE_DASHBOARD_PASSWORD: 'long-enough-pass' }).dashboard).toEqual({ user: 'ops', password: 'long-enough-pass' });
  });

  it.each([
    [{ WXGATE_DASHBOARD_USER: 'ops' }, 'WXGATE_DASHBOARD_PASSWORD'],
    [{ WXGATE_DASHBOARD_PASSWORD: 'long-enough-pass' }, 'WXGATE_DASHBOARD_USER'],
    [{ WXGATE_DASHBOARD_USER: 'ops', WXGATE_DASHBOARD_PASSWORD: 'short' }, 'WXGATE_DASHBOARD_PASSWORD'],
    [{ WXGATE_DASHBOARD_USER: 'o:ps', WXGATE_DASHBOARD_PASSWORD: 'long-enough-pass' }, 'WXGATE_DASHBOARD_USER'],
  ])('%o fails naming %s', (env, name) => {
    expect(failure({ ...base, ...env }).message).toContain(name);
  });
});

describe('loadConfig: Redis Cluster (issue 18)', () => {
  it('REDIS_CLUSTER_NODES turns cluster mode on, with the account key layout', () => {
    const c = loadConfig({ ...base, REDIS_CLUSTER_NODES: '10.0.0.1:6379, 10.0.0.2:6380,[::1]:7000' });
    expect(c.redisClusterNodes).toEqual([{ host: '10.0.0.1', port: 6379 }, { host: '10.0.0.2', port: 6380 }, { host: '::1', port: 7000 }]);
    expect(c.keyLayout).toBe('account');
  });

  it('WXGATE_QUEUE_SHARDS is every account\'s default; the apps file may set queueShards per account', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'wxgate-config-'));
    const file = join(dir, 'apps.json');
    await writeFile(file, JSON.stringify([{ appid: 'wxbig', token: 'abc123', queueShards: 8 }, { appid: 'wxsmall', token: 'abc124' }]));
    const c = loadConfig({ WXGATE_APPS_FILE: file, REDIS_CLUSTER_NODES: '127.0.0.1:7000', WXGATE_QUEUE_SHARDS: '2' });
    expect(c.apps.map((a) => [a.appid, a.queueShards])).toEqual([['wxbig', 8], ['wxsmall', 2]]);
    await writeFile(file, JSON.stringify([{ appid: 'wxbig', token: 'abc123', queueShards: 0 }]));
    expect(failure({ WXGATE_APPS_FILE: file, REDIS_CLUSTER_NODES: '127.0.0.1:7000' }).message).toContain('queueShards');
    await rm(dir, { recursive: true, force: true });
  });

  it.each([
    [{ REDIS_CLUSTER_NODES: '10.0.0.1' }, 'REDIS_CLUSTER_NODES'],
    [{ REDIS_CLUSTER_NODES: '10.0.0.1:99999' }, 'REDIS_CLUSTER_NODES'],
    [{ REDIS_CLUSTER_NODES: 'http://10.0.0.1:6379' }, 'REDIS_CLUSTER_NODES'],
    [{ REDIS_URL: 'redis+cluster://10.0.0.1:6379' }, 'REDIS_CLUSTER_NODES'],
    [{ REDIS_CLUSTER_NODES: '10.0.0.1:6379', WXGATE_PREFIX: '{wxgate}' }, 'WXGATE_PREFIX'],
    [{ WXGATE_QUEUE_SHARDS: '4' }, 'REDIS_CLUSTER_NODES'],
    [{ REDIS_CLUSTER_NODES: '10.0.0.1:6379', WXGATE_QUEUE_SHARDS: '0' }, 'WXGATE_QUEUE_SHARDS'],
  ])('%o fails naming %s', (env, name) => {
    expect(failure({ ...base, ...env }).message).toContain(name);
  });
});

describe('loadConfig: Redis Cluster credentials and TLS', () => {
  const CA_PEM = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';

  it('plain host:port entries: no credentials, no TLS', () => {
    const c = loadConfig({ ...base, REDIS_CLUSTER_NODES: '10.0.0.1:6379,10.0.0.2:6379' });
    expect(c.redisCluster).toEqual({ tls: false });
    expect(c.redisTlsCa).toBeUndefined();
  });

  it('credentials and the scheme given once, in one URL entry, hold for every node; the password is percent-decoded', () => {
    const c = loadConfig({ ...base, REDIS_CLUSTER_NODES: `rediss://wxgate:${encodeURIComponent('p@ss:w/rd%')}@10.0.0.1:6379, 10.0.0.2:6380,[::1]:7000` });
    expect(c.redisClusterNodes).toEqual([{ host: '10.0.0.1', port: 6379 }, { host: '10.0.0.2', port: 6380 }, { host: '::1', port: 7000 }]);
    expect(c.redisCluster).toEqual({ username: 'wxgate', password: 'p@ss:w/rd%', tls: true });
    expect(c.keyLayout).toBe('account');
  });

  it('the same in every entry is accepted; a password alone is for the default user; no port is 6379', () => {
    const c = loadConfig({ ...base, REDIS_CLUSTER_NODES: 'redis://:secret@10.0.0.1,redis://:secret@10.0.0.2:6380/0' });
    expect(c.redisClusterNodes).toEqual([{ host: '10.0.0.1', port: 6379 }, { host: '10.0.0.2', port: 6380 }]);
    expect(c.redisCluster).toEqual({ password: 'secret', tls: false });
  });

  it.each([
    ['schemes', 'redis://:secret@10.0.0.1:6379,rediss://:secret@10.0.0.2:6379'],
    ['passwords', 'redis://:secret@10.0.0.1:6379,redis://:other@10.0.0.2:6379'],
    ['usernames', 'redis://a:secret@10.0.0.1:6379,redis://b:secret@10.0.0.2:6379'],
    ['credentials given in one entry only of two URLs', 'redis://:secret@10.0.0.1:6379,redis://10.0.0.2:6379'],
    ['a username without a password', 'redis://wxgate@10.0.0.1:6379'],
    ['a database other than 0', 'redis://:secret@10.0.0.1:6379/2'],
    ['a query', 'redis://:secret@10.0.0.1:6379?tls=true'],
    ['another scheme', 'https://:secret@10.0.0.1:6379'],
  ])('entries with %s fail naming REDIS_CLUSTER_NODES, with the password masked', (_what, value) => {
    const err = failure({ ...base, REDIS_CLUSTER_NODES: value });
    expect(err.code).toBe('config_invalid');
    expect(err.message).toContain('REDIS_CLUSTER_NODES');
    expect(err.message).not.toContain('secret');
  });

  it('a bad REDIS_URL is quoted with its password masked', () => {
    const err = failure({ ...base, REDIS_URL: 'http://user:hunter2@10.0.0.1:6379' });
    expect(err.message).toContain('REDIS_URL');
    expect(err.message).not.toContain('hunter2');
  });

  it('REDIS_TLS_CA_FILE is read for rediss:// in REDIS_CLUSTER_NODES or in REDIS_URL', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'wxgate-config-'));
    const file = join(dir, 'ca.crt');
    await writeFile(file, CA_PEM);
    try {
      expect(loadConfig({ ...base, REDIS_CLUSTER_NODES: 'rediss://10.0.0.1:6379', REDIS_TLS_CA_FILE: file }).redisTlsCa).toBe(CA_PEM);
      expect(loadConfig({ ...base, REDIS_URL: 'rediss://:pw@10.0.0.1:6379', REDIS_TLS_CA_FILE: file }).redisTlsCa).toBe(CA_PEM);
      // Without TLS the file would be silently unused: a start-up error instead.
      expect(failure({ ...base, REDIS_URL: 'redis://10.0.0.1:6379', REDIS_TLS_CA_FILE: file }).message).toContain('REDIS_TLS_CA_FILE');
      expect(failure({ ...base, REDIS_CLUSTER_NODES: '10.0.0.1:6379', REDIS_TLS_CA_FILE: file }).message).toContain('REDIS_TLS_CA_FILE');
      expect(failure({ ...base, REDIS_URL: 'rediss://10.0.0.1:6379', REDIS_TLS_CA_FILE: join(dir, 'missing.crt') }).message).toContain('REDIS_TLS_CA_FILE');
      await writeFile(file, 'not a certificate');
      expect(failure({ ...base, REDIS_URL: 'rediss://10.0.0.1:6379', REDIS_TLS_CA_FILE: file }).message).toContain('REDIS_TLS_CA_FILE');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
