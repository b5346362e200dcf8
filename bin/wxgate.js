#!/usr/bin/env node
// The sources are TypeScript; tsx compiles them on load so there is no build step
// between `npm ci` and `npm start` (and no stale dist/ to debug).
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/main.ts');
const code = await main(process.argv.slice(2));
// A command that failed (a port in use: 78) may have opened Redis connections already: they
// must not keep the process alive. Success ends when the event loop does (output drained).
if (code !== 0) process.exit(code);
process.exitCode = code;
