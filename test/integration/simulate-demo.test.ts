// `npm run demo` end to end, as a person runs it: the mock WeChat API, `wxgate all` as a child
// process and the simulator; every push acknowledged, every reply recorded, its keys cleaned up.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { REDIS_URL } from '../helpers/redis-keys.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

describe('npm run demo', () => {
  it('shows pushes in and replies out, exits 0 and leaves no keys behind', async () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/demo.ts'], { cwd: ROOT, env: { ...process.env, REDIS_URL }, encoding: 'utf8', timeout: 60_000 });
    expect(r.status, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(r.stdout.match(/^→ push /gm)).toHaveLength(6);
    expect(r.stdout.match(/^← reply /gm)).toHaveLength(6);
    expect(r.stdout).toContain('你说：simulated message 2');
    expect(r.stdout).toContain('acknowledged first time 6 (100%)');
    const prefix = /cleaned up: \d+ Redis keys under (wxgate-demo-\w+)/.exec(r.stdout)?.[1];
    expect(prefix).toBeDefined();
    const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
    try {
      const left: string[] = [];
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 5000);
        cursor = next;
        left.push(...keys);
      } while (cursor !== '0');
      expect(left).toEqual([]);
    } finally {
      redis.disconnect();
    }
  });
});
