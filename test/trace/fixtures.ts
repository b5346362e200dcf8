// Paths of the alert and log fixtures (test/fixtures/alerts, test/fixtures/trace).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fileSource, type LineSource } from '../../src/trace/read-lines.js';

const ROOT = fileURLToPath(new URL('../fixtures/', import.meta.url));

export const alertPath = (name: string): string => join(ROOT, 'alerts', `${name}.txt`);
export const alertText = (name: string): string => readFileSync(alertPath(name), 'utf8');
export const logPaths = (dir: string): string[] => ['access.log', 'wxgate.log'].map((f) => join(ROOT, 'trace', dir, f));
export const logSources = (dir: string): LineSource[] => logPaths(dir).map((p) => fileSource(p));
