import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// CI asks for a machine-readable report too (see .ci/run) so it can print a plain closing summary line.
const jsonReport = process.env.M3M_TEST_REPORT;
const webSrc = fileURLToPath(new URL('./web/src', import.meta.url));

/** Suites that need a server no machine here can install: `npm run test:external` (vitest.external.config.ts). */
const EXTERNAL_SUITES = [
  'test/contract/readStore.mongodb.test.ts',
  'test/contract/eventStore.kurrentdb.test.ts',
];

export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    reporters: jsonReport ? ['default', 'json'] : ['default'],
    outputFile: jsonReport ? { json: jsonReport } : undefined,
    projects: [
      {
        extends: true,
        test: {
          name: 'server',
          include: ['test/**/*.test.ts'],
          exclude: ['**/node_modules/**', 'test/web/**', 'test/e2e/**', ...EXTERNAL_SUITES],
          // A real PostgreSQL server for the whole run: started here, never skipped (see the file).
          globalSetup: ['test/postgresGlobalSetup.ts'],
        },
      },
      {
        // The admin UI's logic (guards, module config, forms, problem mapping) in a DOM, without a browser.
        extends: true,
        resolve: { alias: { '@': webSrc } },
        oxc: { jsx: { runtime: 'automatic' } },
        test: {
          name: 'web',
          include: ['test/web/**/*.test.{ts,tsx}'],
          environment: 'jsdom',
          setupFiles: ['test/web/setup.ts'],
        },
      },
      {
        // The admin UI in Debian's Chromium against a real m3m: after the rest, so the two do not fight over
        // the machine's cores; the UI is built once for the whole run (globalSetup).
        extends: true,
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.e2e.test.ts'],
          globalSetup: ['test/e2e/globalSetup.ts'],
          sequence: { groupOrder: 1 },
          testTimeout: 90_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
