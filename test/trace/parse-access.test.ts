import { describe, expect, it } from 'vitest';
import { parseAccessJson, parseAccessText, parseRequest, splitList } from '../../src/trace/parse-access.js';
import { parseLine } from '../../src/trace/parse-line.js';

// As nginx writes it with nginx/nginx.conf's `wxgate` log_format (signatures masked), after a retry on a second receiver.
const JSON_LINE = {
  layer: 'access', reqId: 'cebfb49d3df096eaa7329e36639bc4dd', msec: 1795306695.988, time_local: '22/Nov/2026:00:18:15 +0000',
  remote_addr: '101.226.103.61', server_addr: '203.0.113.5', request: 'POST /wechat/wxA?signature=***&timestamp=1700000000&nonce=1&openid=oTEST&encrypt_type=aes&msg_signature=*** HTTP/1.1',
  status: 200, body_bytes_sent: 7, request_length: 216, request_time: 0.011, upstream_addr: '127.0.0.1:13001, 127.0.0.1:13002',
  upstream_status: '502, 200', upstream_connect_time: '-, 0.000', upstream_header_time: '-, 0.009', upstream_response_time: '0.001, 0.009',
};

describe('parseAccessJson', () => {
  it('reads the wxgate log_format', () => {
    const e = parseAccessJson(JSON_LINE)!;
    expect(e).toMatchObject({ layer: 'access', end: 1795306695988, ms: 11, status: 200, reqId: 'cebfb49d3df096eaa7329e36639bc4dd', openid: 'oTEST', appid: 'wxA' });
    expect(e.access).toEqual({
      remoteAddr: '101.226.103.61', serverAddr: '203.0.113.5', method: 'POST', path: '/wechat/wxA', pushTs: 1700000000, nonce: '1', zoneOffsetMs: 0,
      upstreamAddrs: ['127.0.0.1:13001', '127.0.0.1:13002'], upstreamStatuses: [502, 200], upstreamMs: 10, upstreamConnectMs: 0, bodyBytes: 7,
    });
  });

  it('reads a line nginx answered itself (413: no upstream fields)', () => {
    const e = parseAccessJson({ ...JSON_LINE, status: 413, upstream_addr: '', upstream_status: '', upstream_response_time: '', upstream_connect_time: '' })!;
    expect(e.status).toBe(413);
    expect(e.access).toMatchObject({ upstreamAddrs: [], upstreamStatuses: [] });
    expect(e.access!.upstreamMs).toBeUndefined();
  });

  it('accepts every value as a string, and request_id for reqId', () => {
    const { reqId: _r, ...rest } = JSON_LINE;
    const e = parseAccessJson({ ...rest, request_id: 'x1', msec: '1795306695.988', status: '499', request_time: '5.001' })!;
    expect(e).toMatchObject({ reqId: 'x1', end: 1795306695988, status: 499, ms: 5001 });
  });

  it('falls back to time_local without msec', () => {
    const { msec: _m, ...rest } = JSON_LINE;
    expect(parseAccessJson(rest)!.end).toBe(Date.UTC(2026, 10, 22, 0, 18, 15));
    expect(parseAccessJson({ request: 'GET / HTTP/1.1' })).toBeUndefined();
  });
});

describe('parseAccessText', () => {
  const base = '101.226.103.61 - - [01/Dec/2014:20:12:05 +0800] "POST /wechat?signature=***&timestamp=1417435925&nonce=7&openid=oUSER1 HTTP/1.1" 200 7 "-" "Mozilla/4.0"';

  it('reads combined with $request_time appended', () => {
    const e = parseAccessText(`${base} 5.108`)!;
    expect(e).toMatchObject({ layer: 'access', end: Date.UTC(2014, 11, 1, 12, 12, 5), ms: 5108, status: 200, openid: 'oUSER1' });
    expect(e.access).toMatchObject({ remoteAddr: '101.226.103.61', pushTs: 1417435925, bodyBytes: 7, upstreamAddrs: [] });
  });

  it('reads nginx.conf\'s wxgate_combined (request id and upstream pairs)', () => {
    const e = parseAccessText(`${base} 0.011 cebfb49d3df096eaa7329e36639bc4dd urt=0.001, 0.009 ua=127.0.0.1:13001, 127.0.0.1:13002 us=502, 200`)!;
    expect(e).toMatchObject({ ms: 11, reqId: 'cebfb49d3df096eaa7329e36639bc4dd' });
    expect(e.access).toMatchObject({ upstreamAddrs: ['127.0.0.1:13001', '127.0.0.1:13002'], upstreamStatuses: [502, 200], upstreamMs: 10 });
  });

  it('reads key=value extras by name', () => {
    const e = parseAccessText(`${base} rt=0.250 rid=abc uct=0.001`)!;
    expect(e).toMatchObject({ ms: 250, reqId: 'abc' });
    expect(e.access!.upstreamConnectMs).toBe(1);
  });

  it('reads plain combined (no request time)', () => {
    expect(parseAccessText(base)!.ms).toBeUndefined();
  });

  it('is not an access line otherwise', () => {
    expect(parseAccessText('2014/12/01 20:12:05 [error] 1#1: *5 connect() failed')).toBeUndefined();
    expect(parseAccessText('')).toBeUndefined();
  });
});

describe('helpers', () => {
  it('splits nginx lists', () => {
    expect(splitList('a:1, b:2 : c:3')).toEqual(['a:1', 'b:2', 'c:3']);
    expect(splitList('-')).toEqual([]);
    expect(splitList(0.5)).toEqual(['0.5']);
  });

  it('splits the request line', () => {
    const r = parseRequest('POST /wechat/wx1?openid=o%2B1&timestamp=5 HTTP/1.1');
    expect(r.method).toBe('POST');
    expect(r.path).toBe('/wechat/wx1');
    expect(r.query.get('openid')).toBe('o+1');
    expect(parseRequest(undefined).query.size).toBe(0);
  });
});

describe('masked signatures (the access log may hide signature and msg_signature)', () => {
  it('still reads openid, timestamp and nonce', () => {
    for (const mask of ['***', '[masked]', '-', '']) {
      const e = parseLine(`{"layer":"access","reqId":"r","msec":1796283862.165,"time_local":"03/Dec/2026:07:44:22 +0000","request":"POST /wechat?signature=${mask}&timestamp=1796283859&nonce=64&openid=oA&encrypt_type=aes&msg_signature=${mask} HTTP/1.1","status":200,"request_time":0.004}`)!;
      expect(e).toMatchObject({ openid: 'oA', access: { pushTs: 1796283859, nonce: '64' } });
    }
  });
});
