import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import reactHooks from 'eslint-plugin-react-hooks';
import globals from 'globals';

/** The modules of src/core that hold tensor code (`src/layers.test.ts` checks the list against their imports). */
const TENSOR_MODULES = ['backend', 'batches', 'evaluate', 'export', 'fusion', 'methods', 'methods/*', 'mmtm', 'model', 'ops', 'optimizer', 'params', 'preciseBn', 'resnet', 'session', 'trainStep', 'webgpu/*'];

// Tests beside the code may use any layer's helpers (the demo dataset in core's tests, for instance).
const TESTS = ['**/*.test.ts', '**/*.test.tsx'];

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'python/', 'coverage/', 'test-results/', 'playwright-report/', '.bench/', 'public/', '.scratch/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.browser, ...globals.node, ...globals.worker } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  // Layers (README, "Layout of the code"): core knows no data, worker, UI or React; data knows no UI; the UI
  // renders state and imports no tensor code (types are fine).
  {
    files: ['src/core/**/*.{ts,tsx}'],
    ignores: TESTS,
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['**/data/*', '**/data', '**/worker/*', '**/ui/*', '**/cli/*'], message: 'src/core is the pure engine: it must not import data, worker, ui or cli code.' },
            { group: ['react', 'react-dom', 'react/*', 'react-dom/*'], message: 'src/core has no React.' },
          ],
        },
      ],
    },
  },
  {
    files: ['src/data/**/*.{ts,tsx}'],
    ignores: TESTS,
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        { patterns: [{ group: ['**/ui/*', 'react', 'react-dom', 'react/*', 'react-dom/*'], message: 'src/data must not import the UI.' }] },
      ],
    },
  },
  {
    files: ['src/ui/**/*.{ts,tsx}'],
    ignores: TESTS,
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['@tensorflow/*', ...TENSOR_MODULES.map((m) => `**/core/${m}`)],
              allowTypeImports: true,
              message: 'src/ui renders state: tensor code runs in the workers (type imports are fine).',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['src/ui/**/*.{ts,tsx}'],
    plugins: { 'react-hooks': reactHooks },
    rules: { 'react-hooks/rules-of-hooks': 'error', 'react-hooks/exhaustive-deps': 'error' },
  },
);
