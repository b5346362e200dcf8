import { describe, expect, it } from 'vitest';
import { splitText, TEXT_LIMIT_BYTES } from '../../src/worker/split-text.js';

const bytes = (s: string) => Buffer.byteLength(s);

describe('splitText (custom/send text: 2048 bytes of UTF-8)', () => {
  it('leaves short text alone and drops empty text', () => {
    expect(splitText('hello')).toEqual(['hello']);
    expect(splitText('')).toEqual([]);
    const exact = 'a'.repeat(TEXT_LIMIT_BYTES);
    expect(splitText(exact)).toEqual([exact]);
  });

  it('splits at the last newline that fits, and drops that newline', () => {
    const a = 'a'.repeat(1500);
    const b = 'b'.repeat(1500);
    expect(splitText(`${a}\n${b}`)).toEqual([a, b]);
  });

  it('counts bytes, not characters: CJK text (3 bytes each) is split within the limit, never mid-character', () => {
    const text = '汉'.repeat(1000); // 3000 bytes
    const parts = splitText(text);
    expect(parts.length).toBe(2);
    for (const p of parts) expect(bytes(p)).toBeLessThanOrEqual(TEXT_LIMIT_BYTES);
    expect(parts.join('')).toBe(text);
    expect(parts[0]).toBe('汉'.repeat(682)); // 2046 bytes; a 683rd would be 2049
  });

  it('never splits an emoji or a ZWJ sequence', () => {
    const family = '👨‍👩‍👧‍👦'; // 25 bytes, one grapheme
    const text = 'x'.repeat(2040) + family + 'y'.repeat(10);
    const parts = splitText(text);
    expect(parts.join('')).toBe(text);
    expect(parts[0]).toBe('x'.repeat(2040));
    expect(parts[1]!.startsWith(family)).toBe(true);
  });

  it('prefers a space when there is no newline in the second half of the window', () => {
    const words = Array.from({ length: 400 }, (_, i) => `word${i}`).join(' '); // > 2048 bytes
    const parts = splitText(words);
    for (const p of parts) expect(bytes(p)).toBeLessThanOrEqual(TEXT_LIMIT_BYTES);
    expect(parts[0]!.endsWith(' ')).toBe(true);
    expect(parts.join('')).toBe(words);
  });

  it('cuts a long unbroken run as much as fits', () => {
    const text = 'z'.repeat(5000);
    expect(splitText(text).map((p) => p.length)).toEqual([2048, 2048, 904]);
  });

  it('honours another limit', () => {
    expect(splitText('ab\ncd\nef', 5)).toEqual(['ab\ncd', 'ef']);
  });
});
