import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: { conditions: ['@helios/source'] },
  test: {
    environment: 'jsdom',
    include: ['src/**/*.test.ts'],
  },
});
