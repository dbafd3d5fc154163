#!/usr/bin/env node
// Runs every e2e/*.e2e.ts (each a plain script ending with "N passed, M failed") on one production build, and
// prints the total the same way. Exit code 0 only if every script passed.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const scripts = readdirSync(join(root, 'e2e')).filter((f) => f.endsWith('.e2e.ts')).sort();
const build = spawnSync('npx', ['vite', 'build', '--logLevel', 'warn'], { cwd: root, stdio: 'inherit' });
if (build.status !== 0) {
  console.log('0 passed, 1 failed');
  process.exit(1);
}
let passed = 0;
let failed = 0;
for (const script of scripts) {
  console.log(`\n== e2e/${script}`);
  const r = spawnSync('npx', ['tsx', join('e2e', script)], { cwd: root, env: { ...process.env, BMM_E2E_SKIP_BUILD: '1' }, encoding: 'utf8', maxBuffer: 64 << 20 });
  process.stdout.write(r.stdout ?? '');
  process.stderr.write(r.stderr ?? '');
  const counts = [...(r.stdout ?? '').matchAll(/^(\d+) passed, (\d+) failed$/gm)].pop();
  if (counts) {
    passed += Number(counts[1]);
    failed += Number(counts[2]);
  }
  if (r.status !== 0 && (!counts || Number(counts[2]) === 0)) failed++;
}
console.log(`\ne2e: ${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
