/**
 * Test helper: Debian's PyTorch as the reference implementation. It lives with /usr/bin/python3 (not a python3
 * earlier on PATH). Tests that need it run whenever it is installed and are required in CI (CI=true).
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

export const PYTHON = '/usr/bin/python3';
export const PYTHON_PACKAGE_DIR = join(import.meta.dirname, '..', '..', 'python');

let cached: boolean | null = null;

export function hasTorch(): boolean {
  if (cached === null) {
    try {
      execFileSync(PYTHON, ['-c', 'import torch'], { stdio: 'ignore' });
      cached = existsSync(PYTHON);
    } catch {
      cached = false;
    }
  }
  return cached;
}

/** Skip torch-backed tests only outside CI; in CI a missing PyTorch must fail loudly. */
export function skipWithoutTorch(): boolean {
  if (hasTorch()) return false;
  if (process.env.CI) throw new Error(`PyTorch is required in CI: ${PYTHON} -c "import torch" failed (install python3-torch)`);
  return true;
}

/** Runs a module of the python/ package with /usr/bin/python3 and returns its stdout. */
export function runPython(args: string[]): string {
  return execFileSync(PYTHON, args, { cwd: PYTHON_PACKAGE_DIR, env: { ...process.env, PYTHONPATH: PYTHON_PACKAGE_DIR }, encoding: 'utf8', maxBuffer: 64 << 20 });
}
