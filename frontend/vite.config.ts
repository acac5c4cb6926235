/**
 * Vite + Vitest config.
 *
 * Django serves the built assets under /static/ and returns dist/index.html
 * for every SPA route, hence `base: '/static/'` for builds. The dev server
 * keeps base '/' so SPA routes like /projects/1 work there too, and proxies
 * /api to the Django runserver on :8000 so cookies stay same-origin.
 */
import { defineConfig } from 'vitest/config';
import react from '@vitejs/plugin-react';

export default defineConfig(({ command }) => ({
  base: command === 'build' ? '/static/' : '/',
  plugins: [react()],
  build: { outDir: 'dist', emptyOutDir: true },
  server: {
    proxy: { '/api': 'http://127.0.0.1:8000' },
  },
  test: {
    environment: 'node',
    include: ['src/**/*.test.ts', 'src/**/*.test.tsx'],
  },
}));
