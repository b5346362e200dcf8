// `npm run build` compiles src/ to dist/ with tsc, which copies no other files: the message
// centre's SQL migrations (src/campaigns/migrate.ts reads them beside itself) must be copied,
// or a packaged wxgate with DATABASE_URL starts with no tables.
import { cpSync } from 'node:fs';

cpSync(new URL('../src/campaigns/migrations/', import.meta.url), new URL('../dist/campaigns/migrations/', import.meta.url), { recursive: true });
