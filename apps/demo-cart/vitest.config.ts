import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: { conditions: ['@helios/source'] },
  test: { include: ['src/**/*.test.ts'], environment: 'node' },
});
