import { describe, expect, it } from 'vitest';
import { createBasicAuthCheck } from '../../src/admin/basic-auth.js';

const header = (raw: string) => `Basic ${Buffer.from(raw, 'utf8').toString('base64')}`;

describe('createBasicAuthCheck', () => {
  const check = createBasicAuthCheck({ user: 'ops', password: 'pa:ss wörd' });

  it('accepts exactly the user and the password (which may hold ":" and any UTF-8)', () => {
    expect(check(header('ops:pa:ss wörd'))).toBe(true);
    expect(check(`basic  ${Buffer.from('ops:pa:ss wörd').toString('base64')} `)).toBe(true);
  });

  it.each([
    ['no header', undefined],
    ['empty', ''],
    ['a bearer token', 'Bearer abc'],
    ['no colon', header('opspa:ss wörd').replace(/.*/, header('ops'))],
    ['wrong password', header('ops:pa:ss word')],
    ['a prefix of the password', header('ops:pa:ss')],
    ['wrong user', header('opz:pa:ss wörd')],
    ['user only', header('ops:')],
    ['not base64', 'Basic !!!'],
  ])('refuses %s', (_what, value) => {
    expect(check(value)).toBe(false);
  });
});
