// XML ⇄ record for WeChat pushes and replies. Every value stays a string: MsgId is 64-bit
// (a JS number would round it) and "007" must stay "007".
//
// fast-xml-parser builds the tree but accepts documents that are not well-formed (mismatched
// end tags, several roots, unclosed elements), and XMLValidator costs about a third of a parse
// again. So one linear pass here checks structure, refuses DOCTYPE/ENTITY declarations and
// entity references we do not allow, and tells whether any character/entity reference occurs
// outside CDATA — only then does a parser that decodes them run. A flat document without
// references (nearly every push) is then read directly (flat-xml.ts); the rest goes to the parser.
import { XMLParser, type X2jOptions } from 'fast-xml-parser';
import { XmlError } from '../errors.js';
import { readFlatXml } from './flat-xml.js';

export type XmlValue = string | XmlRecord | XmlValue[];
export interface XmlRecord {
  [key: string]: XmlValue;
}

/** Key of text that sits beside child elements (mixed content), as fast-xml-parser names it. */
export const TEXT_KEY = '#text';

// WeChat's list elements: kept as arrays even when the list has one entry, so consumers can
// always iterate SendPicsInfo.PicList.item, SubscribeMsg*Event.List, AroundBeacons.AroundBeacon.
const ALWAYS_ARRAY: ReadonlySet<string> = new Set(['item', 'List', 'AroundBeacon']);

const PREDEFINED: Readonly<Record<string, string>> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };
const DECODE_RE = /&(?:(lt|gt|amp|quot|apos)|#([0-9]+)|#x([0-9a-fA-F]+));/g;

/** The five predefined entities and numeric character references; nothing else exists here. */
function decodeReferences(text: string): string {
  if (text.indexOf('&') === -1) return text;
  return text.replace(DECODE_RE, (_ref, named: string | undefined, dec: string | undefined, hex: string | undefined) =>
    named !== undefined ? (PREDEFINED[named] as string) : String.fromCodePoint(dec !== undefined ? Number(dec) : parseInt(hex as string, 16)),
  );
}

// fast-xml-parser calls the decoder only for text outside CDATA, which is exactly where
// references mean something. Supplying our own also keeps its entity tables (and the
// expansion machinery behind its entity CVEs) out of the way entirely.
const OWN_DECODER: NonNullable<X2jOptions['entityDecoder']> = {
  setExternalEntities() {},
  addInputEntities() {},
  reset() {},
  setXmlVersion() {},
  decode: decodeReferences,
};

const BASE_OPTIONS: X2jOptions = {
  ignoreAttributes: true,
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
  cdataPropName: false,
  ignoreDeclaration: true,
  ignorePiTags: true,
  jPath: false,
  entityDecoder: OWN_DECODER,
  isArray: (tagName) => ALWAYS_ARRAY.has(tagName),
};
// Configured once; parse() keeps no state between calls. The hot path never decodes.
const PLAIN_PARSER = new XMLParser({ ...BASE_OPTIONS, processEntities: false });
const DECODING_PARSER = new XMLParser({ ...BASE_OPTIONS, processEntities: true });

/** The content of the root `<xml>` element, every leaf a string. */
export function parseXml(xml: string): XmlRecord {
  const hasReferences = checkDocument(xml);
  return (hasReferences ? undefined : readFlatXml(xml)) ?? parseChecked(xml, hasReferences);
}

/** fast-xml-parser's reading of a document checkDocument passed (exported for the test that compares it with readFlatXml). */
export function parseChecked(xml: string, hasReferences: boolean): XmlRecord {
  let doc: { xml?: unknown };
  try {
    doc = (hasReferences ? DECODING_PARSER : PLAIN_PARSER).parse(xml) as { xml?: unknown };
  } catch (err) {
    throw new XmlError('xml_malformed', `XML refused by the parser: ${String((err as Error).message).slice(0, 200)}`);
  }
  const root = doc.xml;
  if (typeof root === 'string') return root === '' ? {} : { [TEXT_KEY]: root };
  if (root === null || typeof root !== 'object' || Array.isArray(root)) {
    throw new XmlError('xml_malformed', 'the root element must be a single <xml>');
  }
  return root as XmlRecord;
}

/** More `<Encrypt>` values than this in one envelope are refused: WeChat sends one. */
const MAX_ENCRYPT_CANDIDATES = 4;

/**
 * The candidates for the `Encrypt` field of a safe/compatibility-mode envelope, found by a
 * linear scan after the linear well-formedness check (no DOCTYPE, no entities), never by a full
 * parse: the envelope is read before msg_signature is checked, and a crafted 64 KB body of
 * many elements made every unsigned request cost the receiver a full fast-xml-parser parse.
 * WeChat's envelope holds one; a compatibility-mode push can hold more when the user's text
 * contains `<Encrypt>…</Encrypt>` inside its CDATA. The caller keeps the one msg_signature covers: whichever it is, the message
 * is what that ciphertext decrypts to, so a decoy can only fail verification.
 */
export function readEncryptCandidates(xml: string): string[] {
  checkDocument(xml);
  const found: string[] = [];
  for (let open = xml.indexOf('<Encrypt>'); open !== -1; open = xml.indexOf('<Encrypt>', open + 9)) {
    const close = xml.indexOf('</Encrypt>', open + 9);
    if (close === -1) break;
    let text = xml.slice(open + 9, close).trim();
    if (text.startsWith('<![CDATA[') && text.endsWith(']]>')) text = text.slice(9, -3).trim();
    // Base64 has no markup or references: such a value is text around a decoy, not WeChat's.
    if (text === '' || text.includes('<') || text.includes('&') || text.includes(']]>')) continue;
    if (found.length === MAX_ENCRYPT_CANDIDATES) throw new XmlError('xml_malformed', `more than ${MAX_ENCRYPT_CANDIDATES} <Encrypt> elements`);
    found.push(text);
  }
  return found;
}

// ---------------------------------------------------------------------------------------------
// Well-formedness: elements nest and close, one root named xml, CDATA and comments closed,
// attributes quoted, no text outside the root, '&' only in allowed references.

const GT = 62; // >
const SLASH = 47; // /
const BANG = 33; // !
const QUESTION = 63; // ?
const EQUALS = 61; // =
const QUOT = 34; // "
const APOS = 39; // '

const REFERENCE_RE = /&(?:(lt|gt|amp|quot|apos)|#([0-9]+)|#x([0-9a-fA-F]+)|([A-Za-z_:][A-Za-z0-9_:.-]*));/y;

function malformed(reason: string): never {
  throw new XmlError('xml_malformed', `not well-formed XML: ${reason}`);
}

function isBlankCode(c: number): boolean {
  return c === 32 || c === 10 || c === 13 || c === 9;
}

function skipBlank(xml: string, i: number): number {
  while (isBlankCode(xml.charCodeAt(i))) i++;
  return i;
}

function isNameStart(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 || c === 58 || c >= 0x80;
}

function isNameChar(c: number): boolean {
  return isNameStart(c) || (c >= 48 && c <= 57) || c === 45 || c === 46;
}

/** Index after the name starting at `i` (equal to `i` when there is none). */
function readName(xml: string, i: number): number {
  if (!isNameStart(xml.charCodeAt(i))) return i;
  let j = i + 1;
  while (isNameChar(xml.charCodeAt(j))) j++;
  return j;
}

/** XML 1.0 Char production. */
function isXmlChar(cp: number): boolean {
  return cp === 9 || cp === 10 || cp === 13 || (cp >= 0x20 && cp <= 0xd7ff) || (cp >= 0xe000 && cp <= 0xfffd) || (cp >= 0x10000 && cp <= 0x10ffff);
}

/** Validates every reference in xml[amp, to), where `amp` is the index of the first '&'. */
function checkReferences(xml: string, amp: number, to: number): void {
  while (amp !== -1 && amp < to) {
    REFERENCE_RE.lastIndex = amp;
    const m = REFERENCE_RE.exec(xml);
    if (m === null || amp + m[0].length > to) malformed(`'&' at ${amp} does not start a reference`);
    const [ref, , dec, hex, custom] = m;
    if (custom !== undefined) {
      throw new XmlError('xml_entity', `entity reference &${custom}; is not allowed`);
    }
    if (dec !== undefined || hex !== undefined) {
      const cp = dec !== undefined ? Number(dec) : parseInt(hex as string, 16);
      if (!isXmlChar(cp)) malformed(`character reference ${ref} is not an XML character`);
    }
    amp = xml.indexOf('&', amp + ref.length);
  }
}

function checkBlank(xml: string, from: number, to: number): void {
  for (let i = from; i < to; i++) {
    if (!isBlankCode(xml.charCodeAt(i))) malformed('text outside the root element');
  }
}

/** Throws XmlError unless `xml` is a well-formed document with one root `<xml>`. */
function checkDocument(xml: string): boolean {
  const n = xml.length;
  const open: string[] = [];
  let seenRoot = false;
  let references = false;
  let i = xml.charCodeAt(0) === 0xfeff ? 1 : 0; // a byte-order mark is not text
  // The next '&' at or after i, found once and moved forward (a search per text segment
  // would rescan the rest of the document each time).
  let amp = xml.indexOf('&');

  while (i < n) {
    const lt = xml.indexOf('<', i);
    const textEnd = lt === -1 ? n : lt;
    if (textEnd > i) {
      if (open.length === 0) checkBlank(xml, i, textEnd);
      else {
        if (amp !== -1 && amp < i) amp = xml.indexOf('&', i); // the last one was inside markup
        if (amp !== -1 && amp < textEnd) {
          checkReferences(xml, amp, textEnd);
          references = true;
          amp = xml.indexOf('&', textEnd);
        }
      }
      if (lt === -1) break;
      i = lt;
    }

    const c1 = xml.charCodeAt(i + 1);
    if (c1 === SLASH) {
      const name = open.pop();
      if (name === undefined || !xml.startsWith(name, i + 2)) malformed(`unexpected end tag at ${i}`);
      const gt = skipBlank(xml, i + 2 + name.length);
      if (xml.charCodeAt(gt) !== GT) malformed(`end tag </${name}> not closed`);
      i = gt + 1;
    } else if (c1 === BANG) {
      if (xml.startsWith('[CDATA[', i + 2)) {
        if (open.length === 0) malformed('CDATA outside the root element');
        const end = xml.indexOf(']]>', i + 9);
        if (end === -1) malformed('CDATA not closed');
        i = end + 3;
      } else if (xml.startsWith('--', i + 2)) {
        const end = xml.indexOf('-->', i + 4);
        if (end === -1) malformed('comment not closed');
        i = end + 3;
      } else {
        // Declarations: DOCTYPE brings internal subsets, external entities and billion laughs.
        const word = xml.slice(i + 2, i + 9).toUpperCase();
        if (word === 'DOCTYPE') throw new XmlError('xml_doctype', 'DOCTYPE is not accepted');
        if (word.startsWith('ENTITY')) throw new XmlError('xml_entity', 'ENTITY declarations are not accepted');
        malformed(`unexpected '<!' at ${i}`);
      }
    } else if (c1 === QUESTION) {
      const end = xml.indexOf('?>', i + 2);
      if (end === -1) malformed('processing instruction not closed');
      i = end + 2;
    } else {
      if (open.length === 0 && seenRoot) malformed('more than one root element');
      const nameEnd = readName(xml, i + 1);
      if (nameEnd === i + 1) malformed(`'<' at ${i} does not start a tag`);
      const name = xml.slice(i + 1, nameEnd);
      if (open.length === 0) {
        if (name !== 'xml') malformed(`the root element is <${name}>, not <xml>`);
        seenRoot = true;
      }
      i = readAttributes(xml, nameEnd, name, open);
    }
  }
  if (!seenRoot) malformed('no root element');
  if (open.length > 0) malformed(`<${open[open.length - 1]}> not closed`);
  return references;
}

/** Reads the rest of a start tag from `i`; pushes `name` unless self-closing. */
function readAttributes(xml: string, i: number, name: string, open: string[]): number {
  for (;;) {
    const k = skipBlank(xml, i);
    const c = xml.charCodeAt(k);
    if (c === GT) {
      open.push(name);
      return k + 1;
    }
    if (c === SLASH && xml.charCodeAt(k + 1) === GT) return k + 2;
    if (k === i) malformed(`bad start tag <${name}>`);
    const attrEnd = readName(xml, k);
    if (attrEnd === k) malformed(`bad attribute in <${name}>`);
    const eq = skipBlank(xml, attrEnd);
    if (xml.charCodeAt(eq) !== EQUALS) malformed(`attribute without value in <${name}>`);
    const q = skipBlank(xml, eq + 1);
    const quote = xml.charCodeAt(q);
    if (quote !== QUOT && quote !== APOS) malformed(`unquoted attribute in <${name}>`);
    const close = xml.indexOf(quote === QUOT ? '"' : "'", q + 1);
    if (close === -1) malformed(`attribute value not closed in <${name}>`);
    const value = xml.slice(q + 1, close);
    if (value.includes('<')) malformed(`'<' in an attribute of <${name}>`);
    const amp = value.indexOf('&');
    if (amp !== -1) checkReferences(value, amp, value.length);
    i = close + 1;
  }
}

// ---------------------------------------------------------------------------------------------
// Building: string values in CDATA, records as child elements, arrays as repeated elements.

const ELEMENT_NAME_RE = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

function cdata(text: string): string {
  // ']]>' cannot appear inside CDATA: close the section between ']]' and '>' and reopen.
  return `<![CDATA[${text.replaceAll(']]>', ']]]]><![CDATA[>')}]]>`;
}

function buildElement(name: string, value: XmlValue): string {
  if (Array.isArray(value)) {
    let out = '';
    for (const entry of value) out += buildElement(name, entry);
    return out;
  }
  if (!ELEMENT_NAME_RE.test(name)) {
    throw new XmlError('xml_malformed', `cannot build an element named ${JSON.stringify(name)}`);
  }
  return `<${name}>${typeof value === 'string' ? cdata(value) : buildChildren(value)}</${name}>`;
}

function buildChildren(record: XmlRecord): string {
  let out = '';
  for (const key of Object.keys(record)) {
    const value = record[key];
    if (value === undefined) continue; // optional fields left out
    if (key === TEXT_KEY && typeof value === 'string') out += cdata(value);
    else out += buildElement(key, value);
  }
  return out;
}

/** `<xml>…</xml>`; an empty record or array value builds no children. */
export function buildXml(record: XmlRecord): string {
  return `<xml>${buildChildren(record)}</xml>`;
}

export interface EncryptedEnvelopeInput {
  encrypt: string;
  msgSignature?: string;
  timestamp?: string;
  nonce?: string;
  toUserName?: string;
}

/**
 * The safe-mode envelope. WeChat pushes ToUserName + Encrypt; a passive encrypted reply carries
 * Encrypt, MsgSignature, TimeStamp, Nonce. Fields are written only when given, in that order.
 */
export function buildEncryptedEnvelope({ encrypt, msgSignature, timestamp, nonce, toUserName }: EncryptedEnvelopeInput): string {
  let out = '<xml>';
  if (toUserName !== undefined) out += buildElement('ToUserName', toUserName);
  out += buildElement('Encrypt', encrypt);
  if (msgSignature !== undefined) out += buildElement('MsgSignature', msgSignature);
  if (timestamp !== undefined) {
    // The official reply writes TimeStamp bare; digits need no CDATA.
    out += /^[0-9]+$/.test(timestamp) ? `<TimeStamp>${timestamp}</TimeStamp>` : buildElement('TimeStamp', timestamp);
  }
  if (nonce !== undefined) out += buildElement('Nonce', nonce);
  return `${out}</xml>`;
}
