import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

export default defineConfig({
  plugins: [react()],
  worker: { format: 'es' },
  optimizeDeps: {
    // Scan the workers too, so their dependencies (TF.js, umap-js) are pre-bundled when the dev server starts
    // instead of being discovered on first use, which makes Vite reload the page mid-run.
    entries: ['index.html', 'src/worker/*.worker.ts'],
  },
  build: { target: 'es2022', chunkSizeWarningLimit: 4096 },
});
