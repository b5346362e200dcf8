import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { XmlError } from '../../src/errors.js';
import { readFlatXml } from '../../src/wechat/flat-xml.js';
import { parseChecked, parseXml } from '../../src/wechat/xml.js';
import { errorCode } from '../helpers/error-code.js';

const FIXTURES = new URL('../fixtures/wechat/', import.meta.url);
const fixtures = readdirSync(FIXTURES)
  .filter((name) => name.endsWith('.xml'))
  .map((name) => ({ name, xml: readFileSync(new URL(name, FIXTURES), 'utf8') }));

/** What the full parser makes of a document (parseXml has checked it first). */
function byParser(xml: string) {
  parseXml(xml); // throws on anything checkDocument refuses
  return parseChecked(xml, false);
}

describe('readFlatXml (the fast path for flat pushes)', () => {
  it('reads every flat fixture exactly as fast-xml-parser does, and leaves the rest to it', () => {
    let flat = 0;
    for (const { name, xml } of fixtures) {
      const record = readFlatXml(xml);
      if (record === undefined) continue;
      flat += 1;
      expect(record, name).toEqual(byParser(xml));
    }
    // text, image, voice, video, location, link, subscribe, CLICK, VIEW… are flat.
    expect(flat).toBeGreaterThan(fixtures.length / 2);
    expect(readFlatXml(fixtures.find((f) => f.name === 'text.xml')!.xml)).toBeDefined();
  });

  it('agrees with the parser on random flat documents: CDATA kept as is, text trimmed, blanks between elements ignored', () => {
    const pieces = ['a', ' ', '\n', '\t', ']]', ']', '>', '中文', '😀', 'x y', '0', '007', '<b>', '&amp;', '"', "'"];
    const names = ['ToUserName', 'FromUserName', 'CreateTime', 'MsgType', 'Content', 'MsgId', 'Event', 'EventKey', 'Ticket', 'a1', '_x', 'Latitude'];
    let seed = 42; // xorshift32: the same documents every run
    const rand = (n: number) => {
      seed ^= seed << 13;
      seed ^= seed >>> 17;
      seed ^= seed << 5;
      return (seed >>> 0) % n;
    };
    const blank = () => ['', ' ', '\n', '\r\n  ', '\t'][rand(5)]!;
    let fields = 0;
    for (let round = 0; round < 2000; round++) {
      const chosen = [...new Set(Array.from({ length: rand(8) }, () => names[rand(names.length)]!))];
      let xml = `${blank()}<xml>`;
      for (const name of chosen) {
        const raw = Array.from({ length: rand(6) }, () => pieces[rand(pieces.length)]!)
          .join('')
          .replaceAll(']]>', ']] >'); // cannot stand inside CDATA
        const asText = rand(2) === 0 && !/[<&]/.test(raw);
        xml += `${blank()}<${name}>${asText ? raw : `<![CDATA[${raw}]]>`}</${name}>`;
      }
      xml += `${blank()}</xml>${blank()}`;
      const record = readFlatXml(xml);
      expect(record, xml).toBeDefined();
      expect(record, xml).toEqual(byParser(xml));
      fields += chosen.length;
    }
    expect(fields).toBeGreaterThan(4000);
  });

  it.each([
    ['nesting', '<xml><ScanCodeInfo><ScanType>qrcode</ScanType></ScanCodeInfo></xml>'],
    ['an attribute', '<xml><A x="1">v</A></xml>'],
    ['an attribute on the root', '<xml id="1"><A>v</A></xml>'],
    ['a comment', '<xml><!-- c --><A>v</A></xml>'],
    ['the XML declaration', '<?xml version="1.0"?><xml><A>v</A></xml>'],
    ['a byte-order mark', '\ufeff<xml><A>v</A></xml>'],
    ['a repeated element', '<xml><A>1</A><A>2</A></xml>'],
    ['a WeChat list element', '<xml><item>1</item></xml>'],
    ['__proto__', '<xml><__proto__>x</__proto__></xml>'],
    ['toString', '<xml><toString>x</toString></xml>'],
    ['prototype', '<xml><prototype>x</prototype></xml>'],
    ['a self-closing element', '<xml><A/></xml>'],
    ['two CDATA sections', '<xml><A><![CDATA[a]]><![CDATA[b]]></A></xml>'],
    ['CDATA beside text', '<xml><A> t <![CDATA[a]]></A></xml>'],
    ['text in the root', '<xml>text</xml>'],
    ['a name with a dash', '<xml><A-b>v</A-b></xml>'],
  ])('leaves %s to the parser', (_what, xml) => {
    expect(readFlatXml(xml)).toBeUndefined();
  });

  it("leaves the parser's guard against prototype pollution as it was: refused or renamed", () => {
    for (const name of ['__proto__', 'constructor', 'prototype']) {
      expect(errorCode(() => parseXml(`<xml><${name}>x</${name}></xml>`), XmlError)).toBe('xml_malformed');
    }
    const record = parseXml('<xml><toString>x</toString><A>1</A></xml>');
    expect(record).toEqual({ __toString: 'x', A: '1' });
    expect(Object.getPrototypeOf(record)).toBe(Object.prototype);
  });
});
