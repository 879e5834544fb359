import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Fails a test that leaves a Steward, a SQLite connection or a thread pool open.
    setupFiles: ['test/setup/leaks.ts'],
    // The JSON report lets .ci/run print a plain "N passed, N failed" line that CI can read.
    reporters: ['default', ['json', { outputFile: '.vitest-results.json' }]],
    testTimeout: 20_000,
    hookTimeout: 20_000,
    // Worker-thread tests spawn their own threads; forks keep each test file isolated.
    pool: 'forks',
  },
});
