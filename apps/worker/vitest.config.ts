import { defineConfig } from 'vitest/config';

// Integration tests share the machine's Postgres and Redis: run files one at a time.
export default defineConfig({
  test: {
    include: ['src/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    fileParallelism: false,
  },
});
