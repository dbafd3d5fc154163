import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..');

/** Lints `code` as if it were the file at `path` (relative to the repository). */
async function lint(path: string, code: string): Promise<string[]> {
  const eslint = new ESLint({ cwd: ROOT });
  const [result] = await eslint.lintText(code, { filePath: join(ROOT, path) });
  return result.messages.filter((m) => m.ruleId === '@typescript-eslint/no-restricted-imports').map((m) => m.message);
}

describe('layer rules (eslint)', () => {
  it('fail when src/core imports data, worker, ui or React', async () => {
    expect(await lint('src/core/probe.ts', "import { DEMO_DATASET } from '../ui/store';\nexport const x = DEMO_DATASET;\n")).toHaveLength(1);
    expect(await lint('src/core/methods/probe.ts', "import { makeDemoDataset } from '../../data/demo';\nexport const x = makeDemoDataset;\n")).toHaveLength(1);
    expect(await lint('src/core/probe.ts', "import { TrainHost } from '../worker/trainHost';\nexport const x = TrainHost;\n")).toHaveLength(1);
    expect(await lint('src/core/probe.ts', "import { useState } from 'react';\nexport const x = useState;\n")).toHaveLength(1);
    expect(await lint('src/core/probe.ts', "import { makeConfig } from './config';\nexport const x = makeConfig;\n")).toEqual([]);
  });

  it('fail when src/data imports the UI', async () => {
    expect(await lint('src/data/probe.ts', "import { DEMO_DATASET } from '../ui/store';\nexport const x = DEMO_DATASET;\n")).toHaveLength(1);
    expect(await lint('src/data/probe.ts', "import { makeConfig } from '../core/config';\nexport const x = makeConfig;\n")).toEqual([]);
  });

  it('fail when src/ui imports tensor code, but allow type imports', async () => {
    expect(await lint('src/ui/probe.ts', "import * as tf from '@tensorflow/tfjs';\nexport const x = tf;\n")).toHaveLength(1);
    expect(await lint('src/ui/probe.ts', "import { TrainingSession } from '../core/session';\nexport const x = TrainingSession;\n")).toHaveLength(1);
    expect(await lint('src/ui/charts/probe.ts', "import { createMethod } from '../../core/methods';\nexport const x = createMethod;\n")).toHaveLength(1);
    expect(await lint('src/ui/probe.ts', "import type { TrainState } from '../core/session';\nexport type X = TrainState;\n")).toEqual([]);
    expect(await lint('src/ui/probe.ts', "import { makeConfig } from '../core/config';\nexport const x = makeConfig;\n")).toEqual([]);
  });

  it('list every module of src/core that imports TF.js as tensor code', async () => {
    const config = (await new ESLint({ cwd: ROOT }).calculateConfigForFile(join(ROOT, 'src/ui/probe.ts'))) as { rules: Record<string, [unknown, { patterns: { group: string[] }[] }]> };
    const groups = config.rules['@typescript-eslint/no-restricted-imports'][1].patterns.flatMap((p) => p.group);
    const TENSOR_MODULES = groups.filter((g) => g.startsWith('**/core/')).map((g) => g.slice('**/core/'.length));
    const tensorFiles: string[] = [];
    const walk = (dir: string) => {
      for (const e of readdirSync(dir, { withFileTypes: true })) {
        const p = join(dir, e.name);
        if (e.isDirectory()) walk(p);
        else if (/\.tsx?$/.test(e.name) && !/\.test\.tsx?$/.test(e.name) && readFileSync(p, 'utf8').includes("from '@tensorflow/")) tensorFiles.push(p);
      }
    };
    walk(join(ROOT, 'src', 'core'));
    expect(tensorFiles.length).toBeGreaterThan(5);
    for (const file of tensorFiles) {
      const module = relative(join(ROOT, 'src', 'core'), file).replace(/\.tsx?$/, '');
      const listed = TENSOR_MODULES.some((m) => m === module || (m.endsWith('/*') && module.startsWith(m.slice(0, -1))));
      expect(listed, `${module} imports TF.js but is not in TENSOR_MODULES of eslint.config.js`).toBe(true);
    }
  });
});
