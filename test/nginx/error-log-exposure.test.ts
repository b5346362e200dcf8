// nginx's error log quotes the request line, signatures included, and no directive masks it: the
// config keeps the level that writes the upstream failures `wxgate trace` and `alert` read, and the
// nginx README and the production guide state the exposure and what to do. Reads files only.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const read = (file: string) => readFileSync(join(process.cwd(), file), 'utf8');
const LEVELS = ['debug', 'info', 'notice', 'warn', 'error', 'crit', 'alert', 'emerg'];

describe("signatures in nginx's error log", () => {
  it('nginx.conf logs upstream failures (level error or lower): trace and alert read them', () => {
    const [, level = 'error'] = /^error_log \S+(?: (\w+))?;/m.exec(read('nginx/nginx.conf'))!;
    expect(LEVELS.indexOf(level)).toBeLessThanOrEqual(LEVELS.indexOf('error'));
  });

  it('the nginx README states the exposure: not a key, offline guessing, the replay window, nonce records, the advice', () => {
    const readme = read('nginx/README.md');
    const section = readme.slice(readme.indexOf("## Known exposure: signatures in nginx's error log"));
    expect(section.length).toBeGreaterThan(100);
    const body = section.slice(0, section.indexOf('\n## ', 5));
    for (const phrase of ['Not a key', 'offline', 'WXGATE_TIMESTAMP_TOLERANCE_S', 'nonce_replayed', 'safe mode', '0640', 'msg_signature']) expect(body).toContain(phrase);
  });

  it('the production guide points to it', () => {
    expect(read('docs/production.md')).toContain('nginx/README.md#known-exposure-signatures-in-nginxs-error-log');
  });
});
