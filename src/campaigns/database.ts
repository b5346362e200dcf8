// The message centre's PostgreSQL connection pool (node-postgres; docs/dependencies.md says why pg) with
// wxgate's schema first on the search_path, so the tables can live in a schema of their own.
import pg from 'pg';
import type { Logger } from '../logger.js';

export type Database = pg.Pool;

export interface DatabaseOptions {
  url: string;
  schema?: string;
  max?: number;
}

export function createDatabase({ logger }: { logger: Logger }, { url, schema = 'public', max = 10 }: DatabaseOptions): Database {
  // The schema name is validated by config.ts ([a-z_][a-z0-9_]*): safe inside the options string.
  const pool = new pg.Pool({ connectionString: url, max, options: `-c search_path=${schema},public`, application_name: 'wxgate' });
  // An idle client losing its server must not crash the process; the next query reconnects.
  pool.on('error', (err) => logger.warn({ layer: 'records', err: err.message }, 'postgres connection error'));
  return pool;
}
