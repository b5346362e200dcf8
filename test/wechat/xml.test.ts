import { readdirSync, readFileSync } from 'node:fs';
import { XMLValidator } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import { XmlError } from '../../src/errors.js';
import { buildEncryptedEnvelope, buildXml, parseXml, readEncryptCandidates, type XmlRecord } from '../../src/wechat/xml.js';
import { errorCode } from '../helpers/error-code.js';

const FIXTURES = new URL('../fixtures/wechat/', import.meta.url);
const fixtureNames = readdirSync(FIXTURES).filter((name) => name.endsWith('.xml'));
const fixture = (name: string) => readFileSync(new URL(name, FIXTURES), 'utf8');

const xmlCode = (fn: () => unknown) => errorCode(fn, XmlError);

describe('parseXml: values', () => {
  it('returns the content of <xml> with every value a string', () => {
    expect(parseXml(fixture('text.xml'))).toEqual({
      ToUserName: 'gh_7f083739789a',
      FromUserName: 'oia2TjuEGTNoeX76QEjQNrcURxG8',
      CreateTime: '1348831860',
      MsgType: 'text',
      Content: 'this is a test',
      MsgId: '1234567890123456789',
    });
  });

  it('keeps a 19-digit MsgId exactly (a number would round it)', () => {
    const record = parseXml('<xml><MsgId>1234567890123456789</MsgId><Big>18446744073709551615</Big></xml>');
    expect(record.MsgId).toBe('1234567890123456789');
    expect(record.Big).toBe('18446744073709551615');
  });

  it('keeps "007", "1e3", "0x10", "true" and "-0" as written', () => {
    const record = parseXml('<xml><Content>007</Content><A>1e3</A><B>0x10</B><C>true</C><D>-0</D><E><![CDATA[007]]></E></xml>');
    expect(record).toEqual({ Content: '007', A: '1e3', B: '0x10', C: 'true', D: '-0', E: '007' });
  });

  it('unwraps CDATA verbatim: spaces, newlines, markup and references inside stay as sent', () => {
    const record = parseXml('<xml><Content><![CDATA[  two  spaces\n<b>&amp; &foo; &#65;</b>  ]]></Content></xml>');
    expect(record.Content).toBe('  two  spaces\n<b>&amp; &foo; &#65;</b>  ');
  });

  it('trims text outside CDATA and ignores whitespace between elements', () => {
    expect(parseXml('<xml>\n  <A>  x  </A>\n  <B>\n    <![CDATA[y]]>\n  </B>\n</xml>')).toEqual({ A: 'x', B: 'y' });
  });

  it('gives "" for empty and self-closing elements, and {} for an empty root', () => {
    expect(parseXml('<xml><A></A><B/><C><![CDATA[]]></C><D /></xml>')).toEqual({ A: '', B: '', C: '', D: '' });
    expect(parseXml('<xml/>')).toEqual({});
    expect(parseXml('<xml></xml>')).toEqual({});
  });

  it('ignores attributes, comments, the XML declaration and a byte-order mark', () => {
    const xml = '\ufeff<?xml version="1.0" encoding="UTF-8"?>\n<!-- pushed --><xml a="1"><A b=\'2\'>x<!-- c --></A></xml>\n';
    expect(parseXml(xml)).toEqual({ A: 'x' });
  });

  it('turns nested elements into records and repeated elements into arrays', () => {
    const record = parseXml('<xml><A><B>1</B><C><D>2</D></C></A><R>1</R><R>2</R><R>3</R></xml>');
    expect(record).toEqual({ A: { B: '1', C: { D: '2' } }, R: ['1', '2', '3'] });
  });

  it('keeps WeChat list elements (item, List, AroundBeacon) as arrays even with one entry', () => {
    expect(parseXml(fixture('event.pic_sysphoto.xml')).SendPicsInfo).toEqual({
      Count: '1',
      PicList: { item: [{ PicMd5Sum: '1b5f7c23b5bf75682a53e7b6d163e185' }] },
    });
    expect(parseXml(fixture('event.pic_photo_or_album.xml')).SendPicsInfo).toEqual({
      Count: '2',
      PicList: { item: [{ PicMd5Sum: '5a75aaca956d97be686719218f275c6b' }, { PicMd5Sum: 'ff9ee5bda8b0a3a58ab7a71c4a0c9a6b' }] },
    });
    expect(parseXml(fixture('event.subscribe_msg_change_event.xml')).SubscribeMsgChangeEvent).toEqual({
      List: [{ TemplateId: 'VRR0UEO9VJOLs0MHlU0OilqX6MVFDwH3_3gz3Oc0NIc', SubscribeStatusString: 'reject' }],
    });
  });

  it('parses nested ScanCodeInfo and SendLocationInfo into records', () => {
    expect(parseXml(fixture('event.scancode_push.xml')).ScanCodeInfo).toEqual({ ScanType: 'qrcode', ScanResult: '1' });
    expect(parseXml(fixture('event.location_select.xml')).SendLocationInfo).toEqual({
      Location_X: '23',
      Location_Y: '113',
      Scale: '15',
      Label: ' 广州市海珠区客村艺苑路 106号',
      Poiname: '',
    });
  });

  it('keeps mixed content text under #text', () => {
    expect(parseXml('<xml>note<A>1</A></xml>')).toEqual({ A: '1', '#text': 'note' });
    expect(parseXml('<xml>only text</xml>')).toEqual({ '#text': 'only text' });
  });

  it('every fixture is well-formed for XMLValidator too (our check refuses nothing it accepts)', () => {
    expect(fixtureNames.length).toBeGreaterThan(50);
    for (const name of fixtureNames) {
      expect(XMLValidator.validate(fixture(name)), name).toBe(true);
      expect(() => parseXml(fixture(name)), name).not.toThrow();
    }
  });
});

describe('parseXml: entities and references', () => {
  it('decodes the five predefined entities in text', () => {
    expect(parseXml('<xml><A>&lt;b&gt; &amp; &quot;q&quot; &apos;s&apos;</A></xml>').A).toBe('<b> & "q" \'s\'');
  });

  it('decodes decimal and hexadecimal character references', () => {
    expect(parseXml('<xml><A>&#123;&#x7D; &#x1F600; &#20320;&#x597D;</A></xml>').A).toBe('{} 😀 你好');
  });

  it('decodes once: &amp;lt; is the text "&lt;"', () => {
    expect(parseXml('<xml><A>&amp;lt;</A></xml>').A).toBe('&lt;');
  });

  it('decodes only outside CDATA when both occur in one document', () => {
    const record = parseXml('<xml><A>a &amp; b</A><B><![CDATA[a &amp; b]]></B></xml>');
    expect(record).toEqual({ A: 'a & b', B: 'a &amp; b' });
  });

  it('finds references after an "&" that sat inside CDATA, and in long documents', () => {
    const record = parseXml('<xml><A><![CDATA[&]]></A><B>x &amp; y</B><C><![CDATA[&&]]></C><D>&lt;</D></xml>');
    expect(record).toEqual({ A: '&', B: 'x & y', C: '&&', D: '<' });
    expect(xmlCode(() => parseXml('<xml><A><![CDATA[&]]></A><B>&bad;</B></xml>'))).toBe('xml_entity');
    const many = Array.from({ length: 2000 }, (_, i) => `<I>${i}</I>`).join('');
    expect(parseXml(`<xml>${many}<Z>&#x41;</Z></xml>`).Z).toBe('A');
    expect(xmlCode(() => parseXml(`<xml>${many}<Z>&nope;</Z></xml>`))).toBe('xml_entity');
  });

  it.each([
    ['internal subset entity (XXE)', '<?xml version="1.0"?><!DOCTYPE foo [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><xml><A>&xxe;</A></xml>'],
    ['billion laughs', '<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]><xml><A>&lol2;</A></xml>'],
    ['a bare DOCTYPE', '<!DOCTYPE xml><xml><A>1</A></xml>'],
    ['lower case', '<!doctype xml><xml/>'],
    ['after the root', '<xml><A>1</A></xml><!DOCTYPE xml>'],
    ['inside the root', '<xml><!DOCTYPE xml><A>1</A></xml>'],
  ])('xml_doctype: %s', (_label, xml) => {
    expect(xmlCode(() => parseXml(xml))).toBe('xml_doctype');
  });

  it('a DOCTYPE inside CDATA is text, not a declaration', () => {
    expect(parseXml('<xml><Content><![CDATA[<!DOCTYPE html>]]></Content></xml>').Content).toBe('<!DOCTYPE html>');
  });

  it.each([
    ['ENTITY declaration without DOCTYPE', '<!ENTITY xxe SYSTEM "file:///etc/passwd"><xml/>'],
    ['ENTITY declaration inside the root', '<xml><!ENTITY a "b"></xml>'],
    ['custom entity reference in text', '<xml><A>&xxe;</A></xml>'],
    ['HTML entity reference', '<xml><A>&nbsp;</A></xml>'],
    ['custom entity reference in an attribute', '<xml><A b="&xxe;">1</A></xml>'],
  ])('xml_entity: %s', (_label, xml) => {
    expect(xmlCode(() => parseXml(xml))).toBe('xml_entity');
  });

  it.each([
    ['a bare ampersand', '<xml><A>a & b</A></xml>'],
    ['an unterminated reference', '<xml><A>&amp</A></xml>'],
    ['&#0;', '<xml><A>&#0;</A></xml>'],
    ['a surrogate', '<xml><A>&#xD800;</A></xml>'],
    ['beyond Unicode', '<xml><A>&#x110000;</A></xml>'],
    ['an empty numeric reference', '<xml><A>&#;</A></xml>'],
  ])('xml_malformed: %s', (_label, xml) => {
    expect(xmlCode(() => parseXml(xml))).toBe('xml_malformed');
  });
});

describe('parseXml: refuses what is not a well-formed document with one <xml> root', () => {
  // Structural errors: XMLValidator refuses these as well (checked below).
  const structural: [string, string][] = [
    ['empty', ''],
    ['not XML', 'junk'],
    ['whitespace only', '  \n'],
    ['unclosed root', '<xml>'],
    ['unclosed child', '<xml><A>1</xml>'],
    ['mismatched end tag', '<xml><A>1</B></xml>'],
    ['end tag that is a longer name', '<xml><A>1</AB></xml>'],
    ['stray end tag', '<xml></A></xml>'],
    ['unclosed CDATA', '<xml><A><![CDATA[x</A></xml>'],
    ['unclosed comment', '<xml><!-- x </xml>'],
    ['attribute without value', '<xml><A b></A></xml>'],
    ['unquoted attribute', '<xml><A b=1></A></xml>'],
    ['tag name starting with a digit', '<xml><1A/></xml>'],
    ['space after "<"', '<xml>< A/></xml>'],
    ['text before the root', 'text<xml/>'],
    ['declaration only', '<?xml version="1.0"?>'],
    ['unclosed start tag', '<xml><A</xml>'],
  ];
  // Malformed by the XML spec (AttValue excludes '<') yet accepted by XMLValidator.
  const stricterThanValidator: [string, string][] = [['"<" in an attribute value', '<xml><A b="<"></A></xml>']];
  // Well-formed XML that is still not a WeChat document.
  const notOurs: [string, string][] = [
    ['another root', '<foo><A>1</A></foo>'],
    ['two roots', '<xml><A>1</A></xml><xml><A>2</A></xml>'],
    ['a second element after the root', '<xml/><y/>'],
    ['text after the root', '<xml><A>1</A></xml>trailing'],
    ['CDATA outside the root', '<![CDATA[x]]><xml/>'],
    ['a name the parser rejects (prototype pollution)', '<xml><__proto__>1</__proto__></xml>'],
  ];

  it.each([...structural, ...stricterThanValidator, ...notOurs])('xml_malformed: %s', (_label, xml) => {
    expect(xmlCode(() => parseXml(xml))).toBe('xml_malformed');
  });

  it.each(structural)('XMLValidator agrees that "%s" is malformed', (_label, xml) => {
    expect(XMLValidator.validate(xml)).not.toBe(true);
  });

  it('maps to 400 with an exposable message', () => {
    try {
      parseXml('<xml>');
    } catch (err) {
      expect((err as XmlError).status).toBe(400);
      expect((err as XmlError).expose).toBe(true);
    }
    expect.assertions(2);
  });
});

describe('buildXml', () => {
  it('writes string values in CDATA and nests records and arrays', () => {
    const xml = buildXml({ ToUserName: 'o1', CreateTime: '1348831860', Articles: { item: [{ Title: 'a' }, { Title: 'b' }] } });
    expect(xml).toBe(
      '<xml><ToUserName><![CDATA[o1]]></ToUserName><CreateTime><![CDATA[1348831860]]></CreateTime>' +
        '<Articles><item><Title><![CDATA[a]]></Title></item><item><Title><![CDATA[b]]></Title></item></Articles></xml>',
    );
  });

  it('splits "]]>" so that it survives inside CDATA', () => {
    const xml = buildXml({ Content: 'a]]>b]]>' });
    expect(xml).toBe('<xml><Content><![CDATA[a]]]]><![CDATA[>b]]]]><![CDATA[>]]></Content></xml>');
    expect(parseXml(xml).Content).toBe('a]]>b]]>');
  });

  it('round-trips through parseXml', () => {
    const record: XmlRecord = {
      ToUserName: 'gh_7f083739789a',
      FromUserName: 'oia2TjuEGTNoeX76QEjQNrcURxG8',
      CreateTime: '1348831860',
      MsgType: 'news',
      Content: '  <b>&amp; 你好 😀 ]]> </b>\n',
      Empty: '',
      MsgId: '1234567890123456789',
      Zero: '007',
      Articles: { item: [{ Title: 't1', Url: 'https://a.example/?x=1&y=2' }, { Title: 't2', Url: '' }] },
      Repeated: ['1', '2'],
    };
    expect(parseXml(buildXml(record))).toEqual(record);
  });

  it('writes #text as text and skips undefined fields', () => {
    expect(buildXml({ A: { '#text': 'x', B: '1' } })).toBe('<xml><A><![CDATA[x]]><B><![CDATA[1]]></B></A></xml>');
    expect(buildXml({ A: '1', B: undefined } as unknown as XmlRecord)).toBe('<xml><A><![CDATA[1]]></A></xml>');
  });

  it('refuses element names XML cannot carry', () => {
    expect(xmlCode(() => buildXml({ 'a b': '1' }))).toBe('xml_malformed');
    expect(xmlCode(() => buildXml({ '1a': '1' }))).toBe('xml_malformed');
    expect(xmlCode(() => buildXml({ A: { '<x>': '1' } }))).toBe('xml_malformed');
  });
});

describe('buildEncryptedEnvelope', () => {
  it('builds the shape WeChat pushes in safe mode: ToUserName and Encrypt', () => {
    const xml = buildEncryptedEnvelope({ toUserName: 'gh_97417a04a28d', encrypt: 'abc+/=' });
    expect(xml).toBe('<xml><ToUserName><![CDATA[gh_97417a04a28d]]></ToUserName><Encrypt><![CDATA[abc+/=]]></Encrypt></xml>');
    expect(parseXml(xml)).toEqual({ ToUserName: 'gh_97417a04a28d', Encrypt: 'abc+/=' });
  });

  it('builds the official encrypted reply of the third-party 消息推送 example', () => {
    const official = `<xml>
<Encrypt><![CDATA[hE8R6mGXHkJJjU72KxzKUd1GEkKJaEZq7vRL8XgK3o+00k8JGq6+pZJUIlTSyhsX+bxIBQ72g3GyvDdIZcr6+3HAZbSvPT9t/o11MI7d6WELwqrGd7jMnV0zv3Zc9Nq7]]></Encrypt>
<MsgSignature><![CDATA[03e0812039325c2712ef5f0f980fd14c70d6e307]]></MsgSignature>
<TimeStamp>1713424427</TimeStamp>
<Nonce><![CDATA[415670741]]></Nonce>
</xml>`;
    const built = buildEncryptedEnvelope({
      encrypt: 'hE8R6mGXHkJJjU72KxzKUd1GEkKJaEZq7vRL8XgK3o+00k8JGq6+pZJUIlTSyhsX+bxIBQ72g3GyvDdIZcr6+3HAZbSvPT9t/o11MI7d6WELwqrGd7jMnV0zv3Zc9Nq7',
      msgSignature: '03e0812039325c2712ef5f0f980fd14c70d6e307',
      timestamp: '1713424427',
      nonce: '415670741',
    });
    expect(built).toBe(official.replace(/\n/g, ''));
  });

  it('writes a non-numeric timestamp in CDATA', () => {
    expect(buildEncryptedEnvelope({ encrypt: 'e', timestamp: 'x<' })).toBe('<xml><Encrypt><![CDATA[e]]></Encrypt><TimeStamp><![CDATA[x<]]></TimeStamp></xml>');
  });
});

describe('readEncryptCandidates (the envelope, read before msg_signature)', () => {
  const enc = 'aGVsbG8gd29ybGQgdGhpcyBpcyBiYXNlNjQ=';
  it('reads Encrypt with or without CDATA, beside other fields (compatibility mode)', () => {
    expect(readEncryptCandidates(`<xml><ToUserName><![CDATA[gh]]></ToUserName><Encrypt><![CDATA[${enc}]]></Encrypt></xml>`)).toEqual([enc]);
    expect(readEncryptCandidates(`<xml><Encrypt>${enc}</Encrypt><MsgType><![CDATA[text]]></MsgType></xml>`)).toEqual([enc]);
    expect(readEncryptCandidates('<xml><ToUserName>gh</ToUserName></xml>')).toEqual([]);
  });
  it('still refuses what parseXml refuses', () => {
    expect(() => readEncryptCandidates(`<!DOCTYPE x><xml><Encrypt>${enc}</Encrypt></xml>`)).toThrow(expect.objectContaining({ code: 'xml_doctype' }));
    expect(() => readEncryptCandidates(`<xml><Encrypt>${enc}</Encrypt>`)).toThrow(expect.objectContaining({ code: 'xml_malformed' }));
    expect(() => readEncryptCandidates(`<xml><Encrypt>&x;</Encrypt></xml>`)).toThrow(expect.objectContaining({ code: 'xml_entity' }));
  });
  it('<Encrypt> also in a text: both values are candidates, the signature picks', () => {
    const xml = `<xml><Content><![CDATA[look: <Encrypt>fake</Encrypt>]]></Content><Encrypt><![CDATA[${enc}]]></Encrypt></xml>`;
    expect(readEncryptCandidates(xml)).toEqual(['fake', enc]);
  });
  it('never a full parse: many elements cost a linear scan, more than 4 Encrypt values are refused', () => {
    const filler = '<a/>'.repeat(15_000);
    expect(readEncryptCandidates(`<xml>${filler}<Encrypt>${enc}</Encrypt><Encrypt>${enc}</Encrypt></xml>`)).toEqual([enc, enc]);
    expect(() => readEncryptCandidates(`<xml>${`<Encrypt>${enc}</Encrypt>`.repeat(5)}</xml>`)).toThrow(expect.objectContaining({ code: 'xml_malformed' }));
  });
});
