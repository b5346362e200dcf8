import { describe, expect, it } from 'vitest';
import { parseLine, quickTime } from '../../src/trace/parse-line.js';

const WXGATE = '{"level":30,"time":1417435930103,"pid":1,"layer":"receive","openid":"oA","reqId":"r1","ms":3,"msg":"push acknowledged"}';
const ACCESS = '{"layer":"access","reqId":"r1","msec":1417435930.108,"request":"POST /wechat?openid=oA&timestamp=1 HTTP/1.1","status":200,"request_time":0.004}';
const TEXT = '1.2.3.4 - - [01/Dec/2014:20:12:05 +0800] "POST /wechat?openid=oA HTTP/1.1" 200 7 "-" "ua" 0.004';

describe('parseLine', () => {
  it('tells the three kinds of line apart', () => {
    expect(parseLine(WXGATE)).toMatchObject({ layer: 'receive', reqId: 'r1' });
    expect(parseLine(ACCESS)).toMatchObject({ layer: 'access', reqId: 'r1', ms: 4 });
    expect(parseLine(TEXT)).toMatchObject({ layer: 'access', openid: 'oA', ms: 4 });
  });

  it('reads JSON behind a prefix (docker, journald)', () => {
    expect(parseLine(`2014-12-01T12:12:10.103Z stdout F ${WXGATE}`)).toMatchObject({ layer: 'receive', end: 1417435930103 });
  });

  it('reads nginx JSON written without the layer key', () => {
    expect(parseLine('{"msec":1.5,"request_time":0.1,"status":200}')).toMatchObject({ layer: 'access', end: 1500, ms: 100 });
  });

  it('skips what is not a log line of ours', () => {
    for (const l of ['', 'Error: boom', '    at foo (bar.js:1:1)', '{"msg":"no layer","time":1}', '{not json', '[1,2]']) expect(parseLine(l)).toBeUndefined();
  });
});

describe('quickTime', () => {
  it('finds the time without parsing', () => {
    expect(quickTime(WXGATE)).toBe(1417435930103);
    expect(quickTime(ACCESS)).toBe(1417435930108);
    expect(quickTime('{"msec":"1417435930.1"}')).toBe(1417435930100);
    expect(quickTime('{"time":1417435930}')).toBe(1417435930000);
    expect(quickTime(TEXT)).toBe(Date.UTC(2014, 11, 1, 12, 12, 5));
  });

  it('agrees with the full parse', () => {
    for (const l of [WXGATE, ACCESS, TEXT]) expect(quickTime(l)).toBe(parseLine(l)!.end);
  });

  it('says undefined when it cannot tell', () => {
    expect(quickTime('no time here')).toBeUndefined();
    expect(quickTime('{"time":"2014-12-01T12:12:10Z"}')).toBeUndefined();
  });
});
