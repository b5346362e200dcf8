import { describe, expect, it } from 'vitest';
import { redactUrls } from '../src/redact-url.js';

describe('redactUrls', () => {
  it.each([
    ['redis://user:secret@10.0.0.1:6379', 'redis://user:***@10.0.0.1:6379'],
    ['rediss://:secret@h1:6379,h2:6379,redis://u:secret@h3', 'rediss://:***@h1:6379,h2:6379,redis://u:***@h3'],
    // An @ left unencoded in the password: all of it masked, not its tail shown.
    ['redis://u:se@cret@h:6379', 'redis://u:***@h:6379'],
    ['postgres://app:secret@db/wxgate', 'postgres://app:***@db/wxgate'],
    ['redis://10.0.0.1:6379 and redis://user@host', 'redis://10.0.0.1:6379 and redis://user@host'],
  ])('%s → %s', (text, shown) => {
    expect(redactUrls(text)).toBe(shown);
  });
});
