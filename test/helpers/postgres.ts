// A PostgreSQL schema of the test's own (tests run in parallel and twice in a row), dropped after.
import { randomUUID } from 'node:crypto';
import pg from 'pg';

export const DATABASE_URL = process.env.WXGATE_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export interface TestSchema {
  readonly url: string;
  readonly schema: string;
  /** Env for loadConfig. */
  readonly env: { WXGATE_DATABASE_URL: string; WXGATE_DATABASE_SCHEMA: string };
  query<T extends pg.QueryResultRow = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  drop(): Promise<void>;
}

export async function createTestSchema(name = 't'): Promise<TestSchema> {
  const schema = `wxt_${name}_${randomUUID().replace(/-/g, '').slice(0, 10)}`.toLowerCase();
  const pool = new pg.Pool({ connectionString: DATABASE_URL, max: 2, options: `-c search_path=${schema},public` });
  await pool.query(`CREATE SCHEMA "${schema}"`);
  return {
    url: DATABASE_URL,
    schema,
    env: { WXGATE_DATABASE_URL: DATABASE_URL, WXGATE_DATABASE_SCHEMA: schema },
    async query(sql, params) {
      return (await pool.query(sql, params)).rows;
    },
    async drop() {
      await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await pool.end();
    },
  };
}
