// 002_list_incomplete.sql on a database an earlier version left campaigns accepting in for good
// (an upload cut short): the old ones are accepted with what was queued, so they finish; one
// whose upload may still be running is left alone.
import { mkdtemp, copyFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase, type Database } from '../../src/campaigns/database.js';
import { migrate } from '../../src/campaigns/migrate.js';
import { captureLogs } from '../helpers/log-capture.js';
import { createTestSchema, type TestSchema } from '../helpers/postgres.js';

const MIGRATIONS = fileURLToPath(new URL('../../src/campaigns/migrations/', import.meta.url));
const logs = captureLogs();
let schema: TestSchema;
let db: Database;
let firstOnly: string;

beforeAll(async () => {
  schema = await createTestSchema('mig002');
  db = createDatabase({ logger: logs.logger }, { url: schema.url, schema: schema.schema });
  firstOnly = await mkdtemp(join(tmpdir(), 'wxgate-migrations-'));
  await copyFile(join(MIGRATIONS, '001_message_centre.sql'), join(firstOnly, '001_message_centre.sql'));
});
afterAll(async () => {
  await db?.end();
  await schema?.drop();
  await rm(firstOnly, { recursive: true, force: true });
});

describe('002_list_incomplete.sql', () => {
  it('accepts campaigns left accepting (or paused before accepted) for over an hour, with their queued recipients; a recent one is left to its upload', async () => {
    expect(await migrate({ db, logger: logs.logger }, { schema: schema.schema, dir: `${firstOnly}/` })).toEqual(['001_message_centre.sql']);
    const campaign = (id: string, state: string, age: string, acceptedAt: string | null = null) =>
      schema.query(`INSERT INTO campaigns (id, appid, template_id, state, created_at, accepted_at) VALUES ($1, 'wxmig', 'TPL', $2, now() - $3::interval, $4)`, [id, state, age, acceptedAt]);
    await campaign('cstuck', 'accepting', '2 days');
    await campaign('cpausedstuck', 'paused', '3 hours');
    await campaign('cuploading', 'accepting', '1 minute');
    await campaign('cdone', 'running', '2 days', '2020-01-01T00:00:00Z');
    for (const [c, n] of [['cstuck', 3], ['cpausedstuck', 2], ['cuploading', 1]] as const) {
      for (let i = 0; i < n; i++) await schema.query(`INSERT INTO sends (id, campaign_id, appid, openid, template_id) VALUES ($1, $2, 'wxmig', $3, 'TPL')`, [`${c}_o${i}`, c, `o${i}`]);
    }
    expect(await migrate({ db, logger: logs.logger }, { schema: schema.schema })).toEqual(['002_list_incomplete.sql']);
    const rows = await schema.query<{ id: string; state: string; recipients: number; list_incomplete: boolean; accepted: boolean }>('SELECT id, state, recipients, list_incomplete, accepted_at IS NOT NULL AS accepted FROM campaigns ORDER BY id');
    expect(rows).toEqual([
      { id: 'cdone', state: 'running', recipients: 0, list_incomplete: false, accepted: true },
      { id: 'cpausedstuck', state: 'paused', recipients: 2, list_incomplete: true, accepted: true },
      { id: 'cstuck', state: 'running', recipients: 3, list_incomplete: true, accepted: true },
      { id: 'cuploading', state: 'accepting', recipients: 0, list_incomplete: false, accepted: false },
    ]);
  });
});
