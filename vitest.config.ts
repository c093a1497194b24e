import { defineConfig } from 'vitest/config';

// CI asks for a machine-readable report too (see .ci/run) so it can print a plain closing summary line.
const jsonReport = process.env.M3M_TEST_REPORT;

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    reporters: jsonReport ? ['default', 'json'] : ['default'],
    outputFile: jsonReport ? { json: jsonReport } : undefined,
  },
});
