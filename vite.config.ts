import { defineConfig, type Plugin } from 'vite';
import react from '@vitejs/plugin-react';

/**
 * Cross-origin isolation (COOP + COEP): it gives the page SharedArrayBuffer, which the wasm backend needs to run
 * threads. Static hosting must send the same two headers.
 */
export const CROSS_ORIGIN_ISOLATION = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

/**
 * TF.js's threaded wasm backend sends its module factory to its thread workers as source text (`toString()`), but
 * the factory reads `_scriptDir` from its enclosing scope. Minified, that read loses its `typeof` guard and the
 * variable its name, so every thread worker throws a ReferenceError and the backend never starts. Declared inside
 * the factory, the text stands alone.
 */
function selfContainedWasmThreadFactory(): Plugin {
  const head =
    /var _scriptDir = (typeof document !== 'undefined' && document\.currentScript \? document\.currentScript\.src : undefined);\s*if \(typeof __filename !== 'undefined'\) _scriptDir = _scriptDir \|\| __filename;\s*return \(\s*function\(WasmBackendModuleThreadedSimd\) \{/;
  return {
    name: 'self-contained-wasm-thread-factory',
    transform(code, id) {
      if (!/tfjs-backend-wasm-threaded-simd\.js$/.test(id.split('?')[0])) return null;
      if (!head.test(code)) this.error(`${id}: the factory's opening lines changed; check that its thread workers still start minified`);
      return code.replace(head, (_, init: string) => `return (\nfunction(WasmBackendModuleThreadedSimd) {\n  var _scriptDir = ${init};`);
    },
  };
}

export default defineConfig({
  plugins: [react(), selfContainedWasmThreadFactory()],
  worker: { format: 'es', plugins: () => [selfContainedWasmThreadFactory()] },
  optimizeDeps: {
    // Scan the workers too, so their dependencies (TF.js, umap-js) are pre-bundled when the dev server starts
    // instead of being discovered on first use, which makes Vite reload the page mid-run.
    entries: ['index.html', 'src/worker/*.worker.ts'],
  },
  server: { headers: CROSS_ORIGIN_ISOLATION },
  preview: { headers: CROSS_ORIGIN_ISOLATION },
  build: { target: 'es2022', chunkSizeWarningLimit: 4096 },
});
