#!/usr/bin/env node
// The sources are TypeScript; tsx compiles them on load so there is no build step
// between `npm ci` and `npm start` (and no stale dist/ to debug).
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
