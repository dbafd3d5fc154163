/**
 * Production build of the decoding harness (e2e/decode-harness.html) for decode.e2e.ts and bench/decode.ts:
 * `npx vite build --config e2e/vite.decode.config.ts` -> node_modules/.cache/decode-harness/e2e/decode-harness.html (ignored by git and eslint).
 */
import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const root = fileURLToPath(new URL('..', import.meta.url));

export default defineConfig({
  root,
  base: './',
  plugins: [react()],
  worker: { format: 'es' },
  build: {
    outDir: 'node_modules/.cache/decode-harness',
    emptyOutDir: true,
    target: 'es2022',
    chunkSizeWarningLimit: 4096,
    rollupOptions: { input: fileURLToPath(new URL('./decode-harness.html', import.meta.url)) },
  },
});
