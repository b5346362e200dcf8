#!/usr/bin/env node
// In a checkout (src/ beside bin/, devDependencies installed) the TypeScript sources run
// through tsx: no build step between an edit, `npm ci` and `npm start`, and no stale dist/ to
// debug. The installed package has no src/: it runs the compiled dist/ and needs no tsx.
import { existsSync } from 'node:fs';

const source = new URL('../src/cli/main.ts', import.meta.url);

async function loadMain() {
  if (existsSync(source)) {
    const tsx = await import('tsx/esm/api').catch(() => undefined);
    if (tsx) {
      tsx.register();
      return (await import(source.href)).main;
    }
  }
  return (await import('../dist/cli/main.js')).main;
}

const main = await loadMain();
const code = await main(process.argv.slice(2));
// A command that failed (a port in use: 78) may have opened Redis connections already: they
// must not keep the process alive. Success ends when the event loop does (output drained).
if (code !== 0) process.exit(code);
process.exitCode = code;
