import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: { conditions: ['@helios/source'] },
  test: {
    include: ['src/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 60_000,
    fileParallelism: false,
    // Files share one module registry: the relay, Socket.IO and the codecs load once instead of
    // once per file (that was a third of the suite's time). Nothing of a file outlives it:
    // every global a test patches (IndexedDB, navigator, Socket.prototype) is restored in its
    // afterEach, and every database name is fresh.
    isolate: false,
  },
});
