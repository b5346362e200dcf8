import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: {
    // In a checkout `wxgate/handlers` is the source (package.json's export is the built dist/).
    alias: { 'wxgate/handlers': fileURLToPath(new URL('./src/handlers/define-handlers.ts', import.meta.url)) },
  },
  test: {
    include: ['test/**/*.test.ts'],
    setupFiles: ['test/setup/secrets-guard.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Integration tests start servers and child processes; 2 shared cores.
    pool: 'forks',
  },
});
