import { describe, expect, it } from 'vitest';
import { recogniseKind } from '../../src/trace/alert-kinds.js';
import { parseAlert } from '../../src/trace/alert-parse.js';
import { alertText } from './fixtures.js';

describe('recogniseKind', () => {
  it.each([
    ['request-timeout-access', 'request_timeout', 'timeout'],
    ['request-timeout-en', 'request_timeout', 'timeout'],
    ['response-failure-signature', 'response_failure', 'failure'],
    ['response-failure-nginx', 'response_failure', 'failure'],
    ['connection-timeout', 'connection_timeout', 'network'],
    ['dns-failure', 'dns_failure', 'network'],
    ['markfail', 'markfail', 'markfail'],
    ['ticket-timeout', 'ticket_timeout', 'timeout'],
  ])('%s is %s', (fixture, id, family) => {
    const a = parseAlert(alertText(fixture));
    expect(recogniseKind(a.content, a.raw)).toMatchObject({ id, family });
  });

  it.each([
    ['请求超时', 'request_timeout'],
    ['回应失败', 'response_failure'],
    ['连接超时', 'connection_timeout'],
    ['DNS超时', 'dns_timeout'],
    ['域名解析失败', 'dns_failure'],
    ['MarkFail(自动屏蔽)', 'markfail'],
    ['该公众号被屏蔽', 'markfail'],
    ['推送component_verify_ticket失败', 'ticket_failure'],
    ['推送第三方平台消息超时', 'component_timeout'],
    ['推送第三方平台消息失败', 'component_failure'],
    ['something else', 'unknown'],
  ])('%s is %s', (content, id) => {
    expect(recogniseKind(content).id).toBe(id);
  });

  it('falls back to the whole text when 内容 says nothing', () => {
    expect(recogniseKind(undefined, '【接口报警】请求超时').id).toBe('request_timeout');
  });
});
