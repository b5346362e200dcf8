// Every log line a test captures (test/helpers/log-capture.ts) is scanned for secrets; a test
// file that made the code log one fails here, after its tests.
import { afterAll, expect } from 'vitest';
import { secretViolations } from '../helpers/secrets.js';

afterAll(() => {
  const violations = secretViolations().splice(0);
  expect(violations, 'log lines that leaked a secret').toEqual([]);
});
