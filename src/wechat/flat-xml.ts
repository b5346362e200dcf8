// The shape nearly every push has: `<xml>` holding one level of elements, each either one CDATA
// section or plain text. Reading that shape directly takes about a tenth of what a
// fast-xml-parser parse costs (~25 µs of the ~30 µs per 300-byte message, bench/README.md),
// on the path whose cost the receive benchmark (issue 2) counts. Anything else — nesting,
// attributes, comments, repeated or list elements, references, a declaration — is not read
// here (undefined) and goes to the full parser, so the two can only differ where a test
// compares them (test/wechat/flat-xml.test.ts).
import type { XmlRecord } from './xml.js';

const LT = 60; // <
const GT = 62; // >
const SLASH = 47; // /

/**
 * Names the full parser treats specially: WeChat's lists become arrays; `prototype` and every
 * name Object.prototype has (`__proto__`, `constructor`, `toString`…) are refused or renamed
 * by it against prototype pollution.
 */
const NOT_FLAT: ReadonlySet<string> = new Set(['item', 'List', 'AroundBeacon', 'prototype']);

function isBlank(c: number): boolean {
  return c === 32 || c === 10 || c === 13 || c === 9;
}

function isNameCode(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 95;
}

function skipBlank(xml: string, i: number): number {
  while (isBlank(xml.charCodeAt(i))) i++;
  return i;
}

/**
 * The record of a flat document, or undefined when `xml` is not of that shape. Call it only on
 * a document already checked well-formed and free of references: it does not check again.
 */
export function readFlatXml(xml: string): XmlRecord | undefined {
  let i = skipBlank(xml, 0);
  if (!xml.startsWith('<xml>', i)) return undefined;
  i += 5;
  const record: XmlRecord = {};
  for (;;) {
    i = skipBlank(xml, i);
    if (xml.charCodeAt(i) !== LT) return undefined;
    if (xml.charCodeAt(i + 1) === SLASH) {
      return xml.startsWith('xml>', i + 2) && skipBlank(xml, i + 6) === xml.length ? record : undefined;
    }
    let nameEnd = i + 1;
    while (isNameCode(xml.charCodeAt(nameEnd))) nameEnd++;
    if (nameEnd === i + 1 || xml.charCodeAt(nameEnd) !== GT) return undefined;
    const name = xml.slice(i + 1, nameEnd);
    if (NOT_FLAT.has(name) || name in Object.prototype || Object.hasOwn(record, name)) return undefined;
    const valueEnd = readValue(xml, nameEnd + 1, name, record);
    if (valueEnd === -1) return undefined;
    i = valueEnd;
  }
}

/** Reads `value</name>` from `from` into record[name]; the index after it, or -1. */
function readValue(xml: string, from: number, name: string, record: XmlRecord): number {
  let value: string;
  let end: number;
  if (xml.startsWith('<![CDATA[', from)) {
    const close = xml.indexOf(']]>', from + 9);
    if (close === -1) return -1;
    value = xml.slice(from + 9, close); // the full parser keeps CDATA as it is
    end = close + 3;
  } else {
    end = xml.indexOf('<', from);
    value = xml.slice(from, end).trim(); // and trims text
  }
  if (xml.charCodeAt(end) !== LT || xml.charCodeAt(end + 1) !== SLASH || !xml.startsWith(name, end + 2) || xml.charCodeAt(end + 2 + name.length) !== GT) return -1;
  record[name] = value;
  return end + 3 + name.length;
}
