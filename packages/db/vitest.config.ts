import { defineConfig } from 'vitest/config';

// Every test file creates its own Postgres database; running files one at a time keeps
// the 2-core CI machines from timing out while databases are copied and dropped.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    fileParallelism: false,
  },
});
