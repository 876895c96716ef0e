import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

export default defineConfig({
  plugins: [react()],
  // The workspace packages are used from their sources, like the tests do.
  resolve: { conditions: ['@helios/source'] },
  build: { outDir: 'dist', sourcemap: true },
});
