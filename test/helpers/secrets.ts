// What must never appear in a log line written during the test suite (issue 5). Tests use these
// values for their accounts so the guard (test/setup/secrets-guard.ts) can recognise them.
export const TEST_SECRETS = {
  token: 'wxgatetesttoken',
  encodingAESKey: 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG',
  appsecret: 'wxgate-test-secret',
  internalToken: 'wxgate-internal-test-token',
} as const;

const LITERALS = Object.values(TEST_SECRETS);

const PATTERNS: [string, RegExp][] = [
  // The mock issues access_tokens as 96 base64url characters, like WeChat's 100-odd character ones.
  ['access_token value', /(?<![A-Za-z0-9_-])[A-Za-z0-9_-]{96,}(?![A-Za-z0-9_-])/],
  // A URL or body that carries a token in the clear.
  ['access_token parameter', /access_token=(?!\[redacted\])[^&"\s]{8,}/],
  ['secret parameter', /[?&]secret=(?!\[redacted\])[^&"\s]+/],
];

/** Names of the secrets found in one raw log line (empty when clean). */
export function findSecrets(line: string): string[] {
  const found = LITERALS.filter((s) => line.includes(s)).map((s) => `literal ${s.slice(0, 4)}…`);
  for (const [name, re] of PATTERNS) if (re.test(line)) found.push(name);
  return found;
}

interface Violation {
  readonly line: string;
  readonly found: string[];
}

const KEY = Symbol.for('wxgate.secretViolations');

/** Per test worker: lines that leaked a secret, checked by the guard after each file. */
export function secretViolations(): Violation[] {
  const g = globalThis as { [KEY]?: Violation[] };
  g[KEY] ??= [];
  return g[KEY];
}

export function checkLine(line: string): void {
  const found = findSecrets(line);
  if (found.length > 0) secretViolations().push({ line: line.slice(0, 300), found });
}
