import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // Each file opens its own Dawn device on a CPU adapter: one file per core.
    pool: 'forks',
    maxWorkers: 2,
  },
});
