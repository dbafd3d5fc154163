/**
 * Production build of the kernel timing harness (bench/kernels-harness.html) for `npm run bench:kernels --
 * --browser`: node_modules/.cache/kernels-harness/bench/kernels-harness.html.
 */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const root = fileURLToPath(new URL('..', import.meta.url));

export default defineConfig({
  root,
  base: './',
  build: {
    outDir: 'node_modules/.cache/kernels-harness',
    emptyOutDir: true,
    target: 'es2022',
    chunkSizeWarningLimit: 8192,
    rollupOptions: { input: fileURLToPath(new URL('./kernels-harness.html', import.meta.url)) },
  },
});
