import { describe, expect, it } from 'vitest';
import { parseLine } from '../../src/trace/parse-line.js';
import { parseErrorLine } from '../../src/trace/parse-error-log.js';
import { scanLogs } from '../../src/trace/scan.js';
import { incidentSources } from './incidents.js';

const TIMEOUT = '2026/12/03 07:44:22 [error] 21198#21198: *2 upstream timed out (110: Connection timed out) while reading response header from upstream, client: 127.0.0.1, server: _, request: "POST /wechat/wxB?signature=***&timestamp=1796283859&nonce=640669e540&openid=oA&encrypt_type=aes&msg_signature=*** HTTP/1.1", upstream: "http://127.0.0.1:37213/wechat/wxB?signature=***", host: "127.0.0.1:33257"';

describe('nginx error log', () => {
  it('reads an upstream timeout with its push', () => {
    const e = parseLine(TIMEOUT)!;
    expect(e).toMatchObject({ layer: 'nginx-error', code: 'upstream_timeout', openid: 'oA', appid: 'wxB', wallMs: Date.UTC(2026, 11, 3, 7, 44, 22) });
    expect(e.access).toMatchObject({ pushTs: 1796283859, nonce: '640669e540', upstreamAddrs: ['127.0.0.1:37213'] });
  });

  it('reads a refused connection and skips what is not about a push', () => {
    expect(parseErrorLine('2026/12/03 07:45:36 [error] 23027#23027: *2 connect() failed (111: Connection refused) while connecting to upstream, client: 127.0.0.1')?.code).toBe('upstream_refused');
    expect(parseErrorLine('2026/12/03 07:44:09 [notice] 21196#21196: using inherited sockets from "/usr/sbin/nginx"')).toBeUndefined();
  });

  it('takes the zone of the access log\'s $time_local (staged incident: receiver frozen)', async () => {
    const { events } = await scanLogs({ sources: incidentSources('receiver-frozen') });
    const timeouts = events.filter((e) => e.code === 'upstream_timeout');
    const first504 = events.find((e) => e.layer === 'access' && e.status === 504)!;
    expect(timeouts.length).toBeGreaterThan(0);
    // The error line is written when nginx gives up, the same second its access line is.
    expect(Math.abs(timeouts[0]!.end - first504.end)).toBeLessThan(1000);
  });
});
