// The staged incidents under test/fixtures/incidents (made by scripts/stage-incidents.ts: real
// nginx, `wxgate all`, the mock WeChat API and the simulator), and what each staging recorded.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fileSource, type LineSource } from '../../src/trace/read-lines.js';

export const INCIDENTS = fileURLToPath(new URL('../fixtures/incidents/', import.meta.url));

export interface IncidentFacts {
  scenario: string;
  accounts: string[];
  marks: Record<string, number>;
  openids?: Record<string, string>;
  alerts: { file: string; kind: string; appid: string; firstFailure: number; time: number; count: number; openid: string }[];
}

export const incidentFacts = (name: string): IncidentFacts => JSON.parse(readFileSync(join(INCIDENTS, name, 'facts.json'), 'utf8')) as IncidentFacts;
export const incidentLogs = (name: string): string[] => ['access.log', 'error.log', 'wxgate.log'].map((f) => join(INCIDENTS, name, f)).filter((p) => existsSync(p));
export const incidentSources = (name: string): LineSource[] => incidentLogs(name).map((p) => fileSource(p));
export const incidentAlert = (name: string, file: string): string => readFileSync(join(INCIDENTS, name, file), 'utf8');
export const incidentAlertPath = (name: string, file: string): string => join(INCIDENTS, name, file);
