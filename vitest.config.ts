import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// CI asks for a machine-readable report too (see .ci/run) so it can print a plain closing summary line.
const jsonReport = process.env.M3M_TEST_REPORT;
const webSrc = fileURLToPath(new URL('./web/src', import.meta.url));

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
        test: { name: 'server', include: ['test/**/*.test.ts'], exclude: ['test/web/**', 'test/e2e/**'] },
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
