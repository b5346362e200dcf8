import { describe, expect, it } from 'vitest';
import { parseInfo } from '../../src/redis-health/parse-info.js';

describe('parseInfo', () => {
  it('reads key:value lines across sections, values may hold colons', () => {
    const text = '# Server\r\nredis_version:7.0.15\r\nrun_id:abc123\r\nexecutable:/usr/bin/redis-server\r\n\r\n# Persistence\r\naof_enabled:0\r\n# Keyspace\r\ndb0:keys=3,expires=0,avg_ttl=0\r\n';
    expect(parseInfo(text)).toEqual({ redis_version: '7.0.15', run_id: 'abc123', executable: '/usr/bin/redis-server', aof_enabled: '0', db0: 'keys=3,expires=0,avg_ttl=0' });
    expect(parseInfo('a:b:c\n')).toEqual({ a: 'b:c' });
  });
});
