import { describe, expect, it } from 'vitest';
import { parseAlert, parseSample } from '../../src/trace/alert-parse.js';
import { alertText } from './fixtures.js';

describe('parseAlert', () => {
  it('reads the fields of WeChat\'s timeout example', () => {
    const a = parseAlert(alertText('request-timeout-access'));
    expect(a).toMatchObject({
      appid: 'wx3f8a6c1d2e4b5a79',
      nickname: '网关测试号',
      timeText: '2014-12-01 20:12:00',
      time: Date.UTC(2014, 11, 1, 12, 12, 0),
      count: 2,
      countMinutes: 5,
      sample: { ip: '203.205.140.29', event: 'UnSubscribe' },
    });
    expect(a.content).toContain('5秒内没有返回');
  });

  it('reads the newer sample with OpenID and Stamp, and ignores the guide link', () => {
    const a = parseAlert(alertText('request-timeout-enqueue'));
    expect(a.sample).toMatchObject({ openid: 'oUSER1', stamp: 1417435925, ip: '203.205.140.29', msg: 'Text', url: 'https://wx.example.com/wechat/wx3f8a6c1d2e4b5a79' });
    expect(a.sample.outerIp).toBeUndefined();
    expect(a.sample.fields.OuterIP).toBe('');
  });

  it('reads full-width colons and English keys', () => {
    const a = parseAlert('Appid：wx1\n时间：2014-12-01 20:12:00\n次数：5分钟 3次\n');
    expect(a).toMatchObject({ appid: 'wx1', count: 3, time: Date.UTC(2014, 11, 1, 12, 12, 0) });
    const en = parseAlert(alertText('request-timeout-en'));
    expect(en).toMatchObject({ nickname: 'gateway test', count: 1272, countMinutes: 5, sample: { event: 'UnSubscribe' } });
  });

  it('keeps a wrapped description together', () => {
    expect(parseAlert('内容: 微信服务器向公众号推送消息或事件后，\n开发者5秒内没有返回\n').content).toBe('微信服务器向公众号推送消息或事件后，开发者5秒内没有返回');
  });
});

describe('parseSample', () => {
  it('reads response_content verbatim, brackets and all', () => {
    const s = parseSample('[IP=1.2.3.4][Event=CLICK][response_length=40][response_content=<xml><![CDATA[hi]]></xml>]');
    expect(s).toMatchObject({ ip: '1.2.3.4', event: 'CLICK', responseLength: 40, responseContent: '<xml><![CDATA[hi]]></xml>' });
  });

  it('reads an nginx error page as the content', () => {
    const s = parseSample('[IP=1.2.3.4][Msg=Text][response_length=157][response_content=<html><head><title>502 Bad Gateway</title></head></html>]');
    expect(s.responseContent).toBe('<html><head><title>502 Bad Gateway</title></head></html>');
  });

  it('keeps unknown keys in fields', () => {
    expect(parseSample('[Foo=bar][InfoType=component_verify_ticket]')).toMatchObject({ infoType: 'component_verify_ticket', fields: { Foo: 'bar' } });
  });
});
