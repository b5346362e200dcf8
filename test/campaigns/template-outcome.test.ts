import { describe, expect, it } from 'vitest';
import { WxgateError } from '../../src/errors.js';
import { PermanentApiError, toApiError, TransientApiError } from '../../src/wechat-api/errcodes.js';
import { decideTemplateOutcome } from '../../src/campaigns/template-outcome.js';
import { TokenUnavailableError, toTokenUnavailable } from '../../src/wechat-api/token-unavailable.js';

const PATH = '/cgi-bin/message/template/send';
const first = { attempt: 1, attempts: 5 };
const last = { attempt: 5, attempts: 5 };
const decide = (error: unknown, at = first) => decideTemplateOutcome({ error }, at);

describe('decideTemplateOutcome: what one template/send answer means', () => {
  it('0: sent, with WeChat msgid as a string (msgids pass 2^53)', () => {
    expect(decideTemplateOutcome({ result: { errcode: 0, msgid: 200163836 } }, first)).toEqual({ action: 'sent', msgid: '200163836' });
  });

  it('0 without a msgid (or one that is not digits): sent, with no msgid rather than an empty one', () => {
    for (const msgid of [undefined, null, '', 'abc', -1, 1.5, '99999999999999999999']) {
      expect(decideTemplateOutcome({ result: { errcode: 0, msgid } }, first)).toEqual({ action: 'sent' });
    }
    expect(decideTemplateOutcome({ result: { errcode: 0, msgid: '9223372036854775807' } }, first)).toEqual({ action: 'sent', msgid: '9223372036854775807' });
  });

  it('45009 on template/send: the quota pause, not a retry, on any attempt', () => {
    expect(decide(toApiError(45009, 'reach max api daily quota limit', PATH))).toMatchObject({ action: 'quota_pause', errcode: 45009 });
    expect(decide(toApiError(45009, 'reach max api daily quota limit', PATH), last).action).toBe('quota_pause');
  });

  it('no access_token to be had (the client\'s TokenUnavailableError: 45009, 40164, network on the fetch): the send waits, no attempt spent', () => {
    for (const cause of [toApiError(45009, 'quota', '/cgi-bin/stable_token'), toApiError(40164, 'ip', '/cgi-bin/stable_token'), new TransientApiError({ code: 'wechat_network', path: '/cgi-bin/stable_token', kind: 'network' })]) {
      const err = toTokenUnavailable(cause, 'wx1')!;
      expect(err).toBeInstanceOf(TokenUnavailableError);
      expect(decide(err).action).toBe('token_wait');
      expect(decide(err, last).action).toBe('token_wait');
    }
  });

  it('a client built without a token keeper is a wiring mistake, not an outage: failed, not waited on forever', () => {
    expect(decide(new WxgateError('token_keeper_missing', 'no keeper'), first).action).toBe('failed');
  });

  it.each([43004, 40003, 40037, 47003, 99999])('%i: failed at once, with errcode and errmsg', (errcode) => {
    expect(decide(toApiError(errcode, 'refused', PATH))).toMatchObject({ action: 'failed', errcode, errmsg: 'refused' });
  });

  it('-1, network errors and 5xx: retried while attempts remain, then failed', () => {
    for (const err of [toApiError(-1, 'busy', PATH), new TransientApiError({ code: 'wechat_network', errmsg: 'ECONNRESET', path: PATH, kind: 'network' }), new TransientApiError({ code: 'wechat_http_5xx', errmsg: 'HTTP 502', path: PATH, kind: 'http' })]) {
      expect(decide(err).action).toBe('retry');
      expect(decide(err, last).action).toBe('failed');
    }
  });

  it('a stale token the client could not replace (still 40001 after its one retry): retried with backoff', () => {
    expect(decide(toApiError(40001, 'invalid credential', PATH))).toMatchObject({ action: 'retry', errcode: 40001 });
  });

  it('a 4xx HTTP answer without JSON: permanent', () => {
    expect(decide(new PermanentApiError({ code: 'wechat_http_4xx', path: PATH, kind: 'http' })).action).toBe('failed');
  });
});
