// Versioned migrations, applied at start: plain numbered SQL files (migrations/NNN_name.sql),
// each run once in its own transaction and recorded in wxgate_migrations. Every serve and
// worker process runs this at start; a transaction-scoped advisory lock makes the others wait
// for the first, so two processes never apply the same file. docs/dependencies.md says why no tool.
import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { Logger } from '../logger.js';
import type { Database } from './database.js';

const MIGRATIONS_DIR = fileURLToPath(new URL('./migrations/', import.meta.url));

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export async function readMigrations(dir = MIGRATIONS_DIR): Promise<Migration[]> {
  const files = (await readdir(dir)).filter((f) => /^\d{3}_[a-z0-9_]+\.sql$/.test(f)).sort();
  return Promise.all(files.map(async (f) => ({ version: Number(f.slice(0, 3)), name: f, sql: await readFile(`${dir}${f}`, 'utf8') })));
}

/** Applies what is missing, in order; returns the files applied by this call. */
export async function migrate({ db, logger }: { db: Database; logger: Logger }, { schema = 'public', dir }: { schema?: string; dir?: string } = {}): Promise<string[]> {
  const migrations = await readMigrations(dir);
  const client = await db.connect();
  const applied: string[] = [];
  try {
    await client.query('BEGIN');
    // One lock per schema: processes of one deployment wait for each other, other schemas do not.
    await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`wxgate-migrations:${schema}`]);
    await client.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
    await client.query(`CREATE TABLE IF NOT EXISTS "${schema}".wxgate_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`);
    const done = new Set((await client.query<{ version: number }>(`SELECT version FROM "${schema}".wxgate_migrations`)).rows.map((r) => r.version));
    for (const m of migrations) {
      if (done.has(m.version)) continue;
      await client.query(`SET LOCAL search_path = "${schema}"`);
      await client.query(m.sql);
      await client.query(`INSERT INTO "${schema}".wxgate_migrations (version, name) VALUES ($1, $2)`, [m.version, m.name]);
      applied.push(m.name);
    }
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
  if (applied.length > 0) logger.info({ layer: 'records', schema, applied }, 'database migrations applied');
  return applied;
}

/**
 * migrate(), tried again with backoff while PostgreSQL does not answer: a process starting while
 * the database is away starts all the same, and its message centre comes up when the database
 * does (its routes answer 503 meanwhile). `stopped()` ends the tries (shutdown).
 */
export async function migrateUntilDone(
  { db, logger }: { db: Database; logger: Logger },
  { schema = 'public', dir, stopped = () => false, maxDelayMs = 30_000 }: { schema?: string; dir?: string; stopped?: () => boolean; maxDelayMs?: number } = {},
): Promise<string[]> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await migrate({ db, logger }, { schema, dir });
    } catch (err) {
      if (stopped()) throw err;
      const waitMs = Math.min(maxDelayMs, 500 * 2 ** Math.min(10, attempt));
      logger.error({ layer: 'records', schema, attempt, waitMs, err: (err as Error).message }, 'message centre: PostgreSQL not ready (WXGATE_DATABASE_URL), trying again');
      await new Promise((r) => setTimeout(r, waitMs).unref());
    }
  }
}
