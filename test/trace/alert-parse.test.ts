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

// Forms engineers paste (issue 19), after WeChat's guide and alerts posted on its developer forum.
describe('parseAlert reads the forms alerts are pasted in', () => {
  const T = Date.UTC(2026, 11, 3, 6, 16, 56); // 2026-12-03 14:16:56 +08:00
  const standard = ['Appid: wx3f8a6c1d2e4b5a79', '昵称: 网关测试号', '时间: 2026-12-03 14:16:56', '内容: 微信服务器向公众号推送消息或事件后，开发者5秒内没有返回', '次数: 5分钟 97次', '错误样例: [OpenID=oA][Stamp=1796278616][OuterIP=][3rdUrl=https://wx.example.com/wechat][IP=203.205.140.29][Event=Click Menu Url]'];

  it.each([
    ['two spaces between date and time', standard.join('\n').replace('14:16:56', ' 14:16:56')],
    ['Traditional labels', standard.join('\n').replace('昵称', '暱稱').replace('时间', '時間').replace('内容', '內容').replace('次数', '次數').replace('错误样例', '錯誤樣例')],
    ['an all-Chinese date', standard.join('\n').replace('2026-12-03 14:16:56', '2026年12月3日 14:16:56')],
    ['everything on one line', standard.join(' ')],
    ['CRLF line ends and a guide link after the sample', `${standard.join('\r\n')}\r\n报警排查指引，请见: https://mmbizurl.cn/s/MpkaZb8yg\r\n`],
  ])('%s', (_name, text) => {
    const a = parseAlert(text);
    expect(a).toMatchObject({ appid: 'wx3f8a6c1d2e4b5a79', time: T, count: 97, countMinutes: 5, sample: { openid: 'oA', stamp: 1796278616, ip: '203.205.140.29', event: 'Click Menu Url' } });
    expect(a.content).toMatch(/5秒内没有返回$/);
    expect(a.missing).toEqual([]);
  });

  it('reads samples as real alerts write them', () => {
    const a = parseAlert('时间: 2022-07-30 18:46:39\n内容: 微信服务器向公众号推送消息或事件后,得到的回应不合法\n次数: 5分钟 39次\n错误样例: [OpenID=oi][Stamp=1659177999][OuterIP=81.69.101.237][3rdUrl=https://x/y][ip=121.5.25.31][MsgType=20100][Msg=Subscribe][Event=Component Ticket][cURL Error=7][http code=404][第三方平台:wx89][第三方平台]');
    expect(a.sample).toMatchObject({ ip: '121.5.25.31', outerIp: '81.69.101.237', msg: 'Subscribe', event: 'Component Ticket', fields: { 'cURL Error': '7', 'http code': '404', 第三方平台: '' } });
  });

  it('keeps a multi-line, quoted or cut response_content', () => {
    const xml = parseAlert('时间: 2020-02-13 14:38:20\n错误样例: [OpenID=o][Msg=Subscribe][ip=1.2.3.4][response_length=255][response_content=<xml>\n  <ToUserName><![CDATA[x]]></ToUserName>\n</xml>]\n');
    expect(xml.sample.responseContent).toBe('<xml>\n  <ToUserName><![CDATA[x]]></ToUserName>\n</xml>');
    expect(parseAlert('时间: 2021-09-28 12:20:06\n错误样例: [ip=1.2.3.4][response_length=9][response_content="success"]').sample.responseContent).toBe('success');
    const cut = parseAlert('时间: 2020-11-21 16:51:39 内容: 得到的回应不合法 次数: 5分钟 40次 错误样例: [Msg=Subscribe][response_length=3365][response_content=<!DOCTYPE html> <html> <title>运行时错误</title> te... 报警排查指引,请见: https://mmbizurl.cn/s/MpkaZb8yg');
    expect(cut.sample.responseContent).toBe('<!DOCTYPE html> <html> <title>运行时错误</title> te...');
    expect(cut.count).toBe(40);
  });

  it('says which fields are missing', () => {
    expect(parseAlert('内容: 开发者5秒内没有返回').missing).toEqual(['appid', 'time', 'count', 'sample']);
    expect(parseAlert('时间: yesterday').missing).toContain('time');
  });
});
