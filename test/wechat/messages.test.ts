import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { XmlError } from '../../src/errors.js';
import {
  EVENT_NAMES,
  MESSAGE_TYPES,
  dedupKey,
  isEvent,
  isEventOf,
  isKnownEvent,
  isKnownMessageType,
  isMessageOf,
  messageSummary,
  toMessage,
  type WeChatMessage,
} from '../../src/wechat/messages.js';
import { parseXml, type XmlRecord } from '../../src/wechat/xml.js';
import { errorCode } from '../helpers/error-code.js';

const FIXTURES = new URL('../fixtures/wechat/', import.meta.url);
const fixtureNames = readdirSync(FIXTURES).filter((name) => name.endsWith('.xml'));
const load = (name: string): WeChatMessage => toMessage(parseXml(readFileSync(new URL(name, FIXTURES), 'utf8')));

const xmlCode = (fn: () => unknown) => errorCode(fn, XmlError);

describe('the lists', () => {
  it('MESSAGE_TYPES are the ordinary types plus event', () => {
    expect([...MESSAGE_TYPES]).toEqual(['text', 'image', 'voice', 'video', 'shortvideo', 'location', 'link', 'file', 'event']);
  });

  it('EVENT_NAMES cover the documented Official Account events, each once', () => {
    const required = [
      'subscribe', 'unsubscribe', 'SCAN', 'LOCATION', 'CLICK', 'VIEW', 'scancode_push', 'scancode_waitmsg', 'pic_sysphoto',
      'pic_photo_or_album', 'pic_weixin', 'location_select', 'view_miniprogram', 'TEMPLATESENDJOBFINISH', 'MASSSENDJOBFINISH',
      'subscribe_msg_popup_event', 'subscribe_msg_change_event', 'subscribe_msg_sent_event', 'qualification_verify_success',
      'qualification_verify_fail', 'naming_verify_success', 'naming_verify_fail', 'annual_renew', 'verify_expired',
      'user_enter_tempsession', 'kf_create_session', 'kf_close_session', 'kf_switch_session', 'card_pass_check', 'PUBLISHJOBFINISH',
      'poi_check_notify', 'merchant_order', 'WifiConnected', 'ShakearoundUserShake',
    ];
    for (const name of required) expect(EVENT_NAMES, name).toContain(name);
    expect(new Set(EVENT_NAMES).size).toBe(EVENT_NAMES.length);
  });

  it('isKnownMessageType and isKnownEvent are exact and case-sensitive', () => {
    expect(isKnownMessageType('text')).toBe(true);
    expect(isKnownMessageType('Text')).toBe(false);
    expect(isKnownMessageType('miniprogrampage')).toBe(false);
    expect(isKnownEvent('SCAN')).toBe(true);
    expect(isKnownEvent('scan')).toBe(false);
    expect(isKnownEvent('debug_demo')).toBe(false);
    expect(isKnownEvent('toString')).toBe(false);
  });
});

describe('fixtures: one for every listed message type and event', () => {
  const expected = [
    ...MESSAGE_TYPES.filter((t) => t !== 'event').map((t) => `${t}.xml`),
    ...EVENT_NAMES.map((e) => `event.${e}.xml`),
  ];

  it('exist, and no fixture names a type or event the lists lack', () => {
    expect([...fixtureNames].sort()).toEqual([...expected].sort());
  });

  it.each(MESSAGE_TYPES.filter((t) => t !== 'event'))('%s parses into a message of that type', (type) => {
    const m = load(`${type}.xml`);
    expect(m.MsgType).toBe(type);
    expect(isKnownMessageType(m.MsgType)).toBe(true);
    expect(isEvent(m)).toBe(false);
    expect(m.MsgId).toMatch(/^[0-9]{19}$/);
  });

  it.each([...EVENT_NAMES])('event %s parses into that event', (name) => {
    const m = load(`event.${name}.xml`);
    expect(m.MsgType).toBe('event');
    expect(isEvent(m)).toBe(true);
    expect(m.Event).toBe(name);
    expect(isKnownEvent(m.Event as string)).toBe(true);
    expect(isEventOf(m, name)).toBe(true);
  });
});

describe('fixtures: the fields each type documents', () => {
  it.each<[string, Record<string, unknown>]>([
    ['text.xml', { Content: 'this is a test', MsgId: '1234567890123456789' }],
    ['image.xml', { PicUrl: 'http://mmbiz.qpic.cn/mmbiz_jpg/xxx/0', MediaId: 'media_id_image' }],
    ['voice.xml', { MediaId: 'media_id_voice', Format: 'amr', Recognition: '腾讯微信团队' }],
    ['video.xml', { MediaId: 'media_id_video', ThumbMediaId: 'thumb_media_id' }],
    ['shortvideo.xml', { MediaId: 'media_id_shortvideo', ThumbMediaId: 'thumb_media_id' }],
    ['location.xml', { Location_X: '23.134521', Location_Y: '113.358803', Scale: '20', Label: '位置信息' }],
    ['link.xml', { Title: '公众平台官网链接', Description: '公众平台官网链接', Url: 'https://mp.weixin.qq.com' }],
    ['file.xml', { Title: 'report.pdf', Description: '', FileKey: 'filekey_abc', FileMd5: '5a105e8b9d40e1329780d62ea2265d8a', FileTotalLen: '102400' }],
    ['event.subscribe.xml', { EventKey: 'qrscene_123123', Ticket: expect.stringMatching(/^gQH47/) }],
    ['event.unsubscribe.xml', { EventKey: '' }],
    ['event.SCAN.xml', { EventKey: '123123', Ticket: 'TICKET' }],
    ['event.LOCATION.xml', { Latitude: '23.137466', Longitude: '113.352425', Precision: '119.385040' }],
    ['event.CLICK.xml', { EventKey: 'V1001_TODAY_MUSIC' }],
    ['event.VIEW.xml', { EventKey: 'http://www.qq.com/', MenuId: 'MENUID' }],
    ['event.scancode_waitmsg.xml', { EventKey: '6', ScanCodeInfo: { ScanType: 'qrcode', ScanResult: '2' } }],
    ['event.view_miniprogram.xml', { EventKey: 'pages/index/index', MenuId: 'MENUID' }],
    ['event.TEMPLATESENDJOBFINISH.xml', { MsgID: '200163836', Status: 'success' }],
    ['event.MASSSENDJOBFINISH.xml', { MsgID: '1000001625', Status: 'err(30003)', TotalCount: '0', FilterCount: '0', SentCount: '0', ErrorCount: '0' }],
    ['event.qualification_verify_fail.xml', { FailTime: '1442401122', FailReason: 'by time' }],
    ['event.annual_renew.xml', { ExpiredTime: '1442401004' }],
    ['event.user_enter_tempsession.xml', { SessionFrom: 'sessionFrom' }],
    ['event.kf_switch_session.xml', { FromKfAccount: 'test1@test', ToKfAccount: 'test2@test' }],
    ['event.card_not_pass_check.xml', { CardId: 'pFS7Fjg8kV1IdDz01r4SQwMkuCKc', RefuseReason: '非法代制' }],
    ['event.user_get_card.xml', { CardId: 'pZI8Fjwsy5fVPRBeD78J4RmqVvBc', UserCardCode: '226009850808', IsGiveByFriend: '0', OuterStr: '12b' }],
    ['event.card_pay_order.xml', { OrderId: '404091456', Status: 'ORDER_STATUS_FINANCE_SUCC', Memo: '开通账户奖励' }],
    ['event.poi_check_notify.xml', { UniqId: '123adb', PoiId: '123123', Result: 'fail', Msg: 'xxxxxx' }],
    ['event.merchant_order.xml', { OrderId: 'test_order_id', OrderStatus: '2', ProductId: 'test_product_id', SkuInfo: '10001:1000012;10002:100021' }],
    ['event.WifiConnected.xml', { ConnectTime: '0', ExpireTime: '0', VendorId: '3001224419', ShopId: 'PlaceId', DeviceNo: 'DeviceNo' }],
  ])('%s', (name, fields) => {
    expect(load(name)).toMatchObject(fields);
  });

  it('nested event payloads are records, lists are arrays', () => {
    const mass = load('event.MASSSENDJOBFINISH.xml');
    expect(mass.CopyrightCheckResult).toMatchObject({ Count: '2', CheckState: '2', ResultList: { item: [{ ArticleIdx: '1' }, { ArticleIdx: '2' }] } });
    expect(mass.ArticleUrlResult).toEqual({ Count: '1', ResultList: { item: [{ ArticleIdx: '1', ArticleUrl: 'Url' }] } });

    const publish = load('event.PUBLISHJOBFINISH.xml');
    expect(publish.PublishEventInfo).toEqual({
      publish_id: '2247503051',
      publish_status: '0',
      article_id: 'b5O2OUs25HBxRceL7hfReg-U9QGeq9zQjiDvyWP4Hq4',
      article_detail: { count: '1', item: [{ idx: '1', article_url: 'ARTICLE_URL' }] },
    });

    const popup = load('event.subscribe_msg_popup_event.xml');
    expect(popup.SubscribeMsgPopupEvent).toEqual({
      List: [
        { TemplateId: 'VRR0UEO9VJOLs0MHlU0OilqX6MVFDwH3_3gz3Oc0NIc', SubscribeStatusString: 'accept', PopupScene: '2' },
        { TemplateId: '9nLIlbOQZC5Y89AZteFEux3WCXRRRG5Wfzkpssu4bLI', SubscribeStatusString: 'reject', PopupScene: '2' },
      ],
    });
    expect(load('event.subscribe_msg_sent_event.xml').SubscribeMsgSentEvent).toEqual({
      List: [{ TemplateId: 'VRR0UEO9VJOLs0MHlU0OilqX6MVFDwH3_3gz3Oc0NIc', MsgID: '1700827132819554304', ErrorCode: '0', ErrorStatus: 'success' }],
    });

    const shake = load('event.ShakearoundUserShake.xml');
    expect(shake.ChosenBeacon).toEqual({ Uuid: '121212121212', Major: '1111', Minor: '1111', Distance: '0.057' });
    expect(shake.AroundBeacons).toMatchObject({ AroundBeacon: [{ Major: '2222' }, { Major: '3333' }] });
  });

  it('type guards narrow to the documented fields', () => {
    const m = load('event.LOCATION.xml');
    if (!isEventOf(m, 'LOCATION')) throw new Error('not LOCATION');
    const latitude: string = m.Latitude; // compiles only because the guard narrowed
    expect(latitude).toBe('23.137466');

    const t = load('text.xml');
    if (!isMessageOf(t, 'text')) throw new Error('not text');
    const content: string = t.Content;
    expect(content).toBe('this is a test');
    expect(isMessageOf(t, 'image')).toBe(false);
    expect(isEventOf(t, 'CLICK')).toBe(false);

    const pics = load('event.pic_weixin.xml');
    if (!isEventOf(pics, 'pic_weixin')) throw new Error('not pic_weixin');
    const list = pics.SendPicsInfo.PicList;
    expect(list === '' ? [] : list.item.map((i) => i.PicMd5Sum)).toEqual(['1b5f7c23b5bf75682a53e7b6d163e185']);
  });
});

describe('toMessage', () => {
  const base = { ToUserName: 'gh_1', FromUserName: 'o1', CreateTime: '1348831860', MsgType: 'text', Content: 'hi', MsgId: '1' };

  it('returns the record itself, typed', () => {
    const record: XmlRecord = { ...base };
    expect(toMessage(record)).toBe(record);
  });

  it.each(['ToUserName', 'FromUserName', 'CreateTime', 'MsgType'])('xml_not_message when %s is missing, empty or not text', (field) => {
    const rest: XmlRecord = { ...base };
    delete rest[field];
    expect(xmlCode(() => toMessage(rest))).toBe('xml_not_message');
    expect(xmlCode(() => toMessage({ ...base, [field]: '' }))).toBe('xml_not_message');
    expect(xmlCode(() => toMessage({ ...base, [field]: { nested: 'x' } }))).toBe('xml_not_message');
    expect(xmlCode(() => toMessage({ ...base, [field]: ['a', 'b'] }))).toBe('xml_not_message');
  });

  it.each(['abc', '1.5', '-1', ' 1', '123456789012345678901'])('xml_not_message when CreateTime is %j', (createTime) => {
    expect(xmlCode(() => toMessage({ ...base, CreateTime: createTime }))).toBe('xml_not_message');
  });

  it('the official plain push (debug_demo) is an unknown event, kept whole', () => {
    // 消息加解密说明 / 消息推送 example: the decrypted push of the third-party page
    const m = toMessage(
      parseXml(
        '<xml><ToUserName><![CDATA[gh_97417a04a28d]]></ToUserName>\n<FromUserName><![CDATA[o9AgO5Kd5ggOC-bXrbNODIiE3bGY]]></FromUserName>\n<CreateTime>1715943329</CreateTime>\n<MsgType><![CDATA[event]]></MsgType>\n<Event><![CDATA[debug_demo]]></Event>\n<debug_str><![CDATA[hello world]]></debug_str>\n</xml>',
      ),
    );
    expect(isEvent(m)).toBe(true);
    expect(isKnownEvent(m.Event as string)).toBe(false);
    expect(m).toEqual({
      ToUserName: 'gh_97417a04a28d',
      FromUserName: 'o9AgO5Kd5ggOC-bXrbNODIiE3bGY',
      CreateTime: '1715943329',
      MsgType: 'event',
      Event: 'debug_demo',
      debug_str: 'hello world',
    });
  });

  it('an unknown MsgType is kept whole, nested fields and all', () => {
    const xml =
      '<xml><ToUserName><![CDATA[gh_1]]></ToUserName><FromUserName><![CDATA[o1]]></FromUserName><CreateTime>1700000000</CreateTime>' +
      '<MsgType><![CDATA[miniprogrampage]]></MsgType><MsgId>7000000000000000001</MsgId><Title><![CDATA[t]]></Title>' +
      '<Extra><Deep><Deeper>x</Deeper></Deep><Deep><Deeper>y</Deeper></Deep></Extra></xml>';
    const m = toMessage(parseXml(xml));
    expect(isKnownMessageType(m.MsgType)).toBe(false);
    expect(isEvent(m)).toBe(false);
    expect(m).toEqual({
      ToUserName: 'gh_1',
      FromUserName: 'o1',
      CreateTime: '1700000000',
      MsgType: 'miniprogrampage',
      MsgId: '7000000000000000001',
      Title: 't',
      Extra: { Deep: [{ Deeper: 'x' }, { Deeper: 'y' }] },
    });
  });

  it('an event without an Event element is kept, but is not an event to the guards', () => {
    const m = toMessage({ ...base, MsgType: 'event' });
    expect(isEvent(m)).toBe(false);
    expect(isEventOf(m, 'subscribe')).toBe(false);
  });
});

describe('dedupKey', () => {
  const APPID = 'wxb11529c136998cb6';
  const text = (msgId: string, extra: Record<string, string> = {}) =>
    toMessage({ ToUserName: 'gh_1', FromUserName: 'oUser_1-a', CreateTime: '1348831860', MsgType: 'text', Content: 'x', MsgId: msgId, ...extra });
  const event = (fields: Record<string, string>) =>
    toMessage({ ToUserName: 'gh_1', FromUserName: 'oUser_1-a', CreateTime: '1348831860', MsgType: 'event', Event: 'CLICK', EventKey: 'K', ...fields });
  const BULLMQ_ID = /^[A-Za-z0-9_-]+$/;

  it('messages: m_<appid>_<MsgId>', () => {
    expect(dedupKey(APPID, text('1234567890123456789'))).toBe(`m_${APPID}_1234567890123456789`);
  });

  it('the same message gives the same key however often it is delivered', () => {
    for (const name of fixtureNames) expect(dedupKey(APPID, load(name)), name).toBe(dedupKey(APPID, load(name)));
  });

  it('different MsgIds give different keys, whatever else is equal', () => {
    expect(dedupKey(APPID, text('1'))).not.toBe(dedupKey(APPID, text('2')));
    expect(dedupKey(APPID, text('1', { Content: 'a' }))).toBe(dedupKey(APPID, text('1', { Content: 'b' })));
  });

  it('different accounts give different keys for the same MsgId', () => {
    expect(dedupKey('wxaaaaaaaaaaaaaaaa', text('1'))).not.toBe(dedupKey('wxbbbbbbbbbbbbbbbb', text('1')));
  });

  it('events: e_<appid>_<CreateTime>_<hash of FromUserName, Event, EventKey>', () => {
    const key = dedupKey(APPID, event({}));
    expect(key).toMatch(new RegExp(`^e_${APPID}_1348831860_[0-9a-f]{20}$`));
    // other fields do not matter: a retry is the same event
    expect(dedupKey(APPID, event({ Ticket: 'other' }))).toBe(key);
    // each of the four does
    expect(dedupKey(APPID, event({ FromUserName: 'oOther' }))).not.toBe(key);
    expect(dedupKey(APPID, event({ CreateTime: '1348831861' }))).not.toBe(key);
    expect(dedupKey(APPID, event({ Event: 'VIEW' }))).not.toBe(key);
    expect(dedupKey(APPID, event({ EventKey: 'K2' }))).not.toBe(key);
  });

  it('an absent EventKey and an empty one are the same event', () => {
    const withEmpty = toMessage({ ToUserName: 'gh_1', FromUserName: 'o1', CreateTime: '1', MsgType: 'event', Event: 'unsubscribe', EventKey: '' });
    const without = toMessage({ ToUserName: 'gh_1', FromUserName: 'o1', CreateTime: '1', MsgType: 'event', Event: 'unsubscribe' });
    expect(dedupKey(APPID, withEmpty)).toBe(dedupKey(APPID, without));
  });

  it('two template/mass-send reports in the same second differ by their MsgID', () => {
    const report = (msgID: string) =>
      toMessage({ ToUserName: 'gh_1', FromUserName: 'o1', CreateTime: '1395658920', MsgType: 'event', Event: 'TEMPLATESENDJOBFINISH', MsgID: msgID, Status: 'success' });
    expect(dedupKey(APPID, report('200163836'))).not.toBe(dedupKey(APPID, report('200163840')));
    expect(dedupKey(APPID, report('200163836'))).toMatch(/^e_/);
  });

  it('a message without MsgId falls back to the event rule with its MsgType', () => {
    const m = toMessage({ ToUserName: 'gh_1', FromUserName: 'o1', CreateTime: '1700000000', MsgType: 'newtype' });
    expect(dedupKey(APPID, m)).toMatch(new RegExp(`^e_${APPID}_1700000000_[0-9a-f]{20}$`));
    const asEvent = toMessage({ ToUserName: 'gh_1', FromUserName: 'o1', CreateTime: '1700000000', MsgType: 'event', Event: 'newtype' });
    expect(dedupKey(APPID, m)).not.toBe(dedupKey(APPID, asEvent));
  });

  it('is always a valid BullMQ custom id: no ":", never all digits, bounded length', () => {
    const appids = [APPID, 'wx:abc', 'a:b:c', '123456', '', 'x'.repeat(500), '账号'];
    const messages = [
      ...fixtureNames.map(load),
      text('123'),
      text('12:34'),
      text('9'.repeat(400)),
      text('id with spaces\nand:colons'),
      event({ EventKey: 'a:b:c\n' + 'k'.repeat(5000) }),
      event({ CreateTime: '1'.repeat(20) }),
    ];
    for (const appid of appids) {
      for (const m of messages) {
        const key = dedupKey(appid, m);
        expect(key).toMatch(BULLMQ_ID);
        expect(key).not.toContain(':');
        expect(key).not.toMatch(/^[0-9]+$/);
        expect(key.length).toBeLessThanOrEqual(160);
      }
    }
  });

  it('sanitizes ":" in an appid readably, and keeps distinct messages distinct', () => {
    expect(dedupKey('wx:abc', text('42'))).toBe('m_wx_abc_42');
    expect(dedupKey(APPID, text('12:34'))).not.toBe(dedupKey(APPID, text('1234')));
    expect(dedupKey(APPID, text('9'.repeat(400)))).not.toBe(dedupKey(APPID, text(`${'9'.repeat(399)}8`)));
  });
});

describe('messageSummary', () => {
  it('text: openid, stamp as a number, msgType and msgId', () => {
    expect(messageSummary(load('text.xml'))).toEqual({
      openid: 'oia2TjuEGTNoeX76QEjQNrcURxG8',
      stamp: 1348831860,
      msgType: 'text',
      msgId: '1234567890123456789',
    });
  });

  it('events: event and eventKey; an empty EventKey is left out', () => {
    expect(messageSummary(load('event.CLICK.xml'))).toEqual({
      openid: 'oia2TjuEGTNoeX76QEjQNrcURxG8',
      stamp: 1348831860,
      msgType: 'event',
      event: 'CLICK',
      eventKey: 'V1001_TODAY_MUSIC',
    });
    expect(messageSummary(load('event.unsubscribe.xml'))).not.toHaveProperty('eventKey');
  });

  it('template and mass-send reports log their MsgID as msgId', () => {
    expect(messageSummary(load('event.TEMPLATESENDJOBFINISH.xml'))).toMatchObject({ event: 'TEMPLATESENDJOBFINISH', msgId: '200163836' });
  });
});
