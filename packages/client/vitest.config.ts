import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: { conditions: ['@helios/source'] },
  test: {
    include: ['src/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 60_000,
    fileParallelism: false,
  },
});
