import { defineConfig } from 'vitest/config';

import { fileURLToPath } from 'node:url';

export default defineConfig({
  // The package's own names, as a user imports them (the README's example), resolve to the sources.
  resolve: {
    alias: [
      { find: /^aelab\/node$/, replacement: fileURLToPath(new URL('./src/node.ts', import.meta.url)) },
      { find: /^aelab$/, replacement: fileURLToPath(new URL('./src/index.ts', import.meta.url)) },
    ],
  },
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
