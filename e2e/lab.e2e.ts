/**
 * End-to-end tests of the lab in the real Chromium (WebGPU through SwiftShader), on the production build, with tiny
 * model settings: page load, backend notice, a 2-epoch run with charts, rho, UMAP maps, confusion matrices and a
 * .safetensors download, pause/resume, reload and resume, the URL restoring a config, no request leaving the origin.
 * (no-webgpu.e2e.ts runs the lab in a Chromium without WebGPU.)
 *
 *   npx playwright test --project lab        (playwright.config.ts builds and serves dist/)
 */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { makeConfig } from '../src/core/config';
import { parseSafetensorsHeader } from '../src/core/safetensors';
import { runConfigDocument } from '../src/core/settingsDocument';
import { demoOptionsFor, makeDemoDataset } from '../src/data/demo';
import { writePack } from '../src/data/pack';
import { runPython, skipWithoutTorch } from '../test/support/pythonReference';
import { open, TINY, waitForStatus } from './labPage';

test('the page loads without console errors; auto leaves the software WebGPU adapter for WebAssembly and says why', async ({ page, baseURL }) => {
  const problems = await open(page, baseURL, TINY);
  // Ready, with the time per epoch and for the run from a timed step.
  await waitForStatus(page, /^Ready: .*; about .+ an epoch, .+ for 2 epochs \(one step timed\)$/, 120_000);
  // This machine's WebGPU is SwiftShader: a last resort behind WebAssembly.
  await expect(page.locator('#backend-notice')).toHaveText(/wasm/i);
  await expect(page.locator('.backend-reason')).toHaveText(/WebGPU runs on software here \(.*swiftshader.*\), far slower than WebAssembly; using wasm/i);
  expect(problems).toEqual([]);
});

test('the URL restores a config', async ({ page, baseURL }) => {
  await open(page, baseURL, 'test=1&preset=tiny&method=ogm-ge&fusion=gated&epochs=7&seed=5');
  await waitForStatus(page, /^Ready/, 120_000);
  // A plain string, so that no transpiler helper can end up inside the function body the page runs.
  const values = (await page.evaluate(`(() => {
    const byLabel = (text) => {
      const label = [...document.querySelectorAll('label')].find((l) => l.textContent.trim().startsWith(text));
      const control = label && (label.control || label.querySelector('input,select'));
      return control ? control.value : null;
    };
    return { method: byLabel('Method'), fusion: byLabel('Fusion'), epochs: byLabel('Epochs'), seed: byLabel('Seed') };
  })()`)) as Record<string, string | null>;
  expect(values, 'controls').toEqual({ method: 'ogm-ge', fusion: 'gated', epochs: '7', seed: '5' });
});

test('a 2-epoch run on WebGPU: chart points, rho, UMAP points, confusion matrix, a .safetensors download that imports back', async ({ page, baseURL }) => {
  // WebGPU chosen in the config: the page's WebGPU path (the lab's kernels) stays covered on the software adapter.
  const problems = await open(page, baseURL, `${TINY}&backend=webgpu`);
  await waitForStatus(page, /^Ready/, 120_000);
  await page.evaluate(() => window.__longTasks?.splice(0)); // count only what happens while training
  await page.getByRole('button', { name: 'Train', exact: true }).click();
  await waitForStatus(page, /^Done: 2 epochs/, 400_000);
  const longTasks = await page.evaluate(() => window.__longTasks ?? []);
  // Charts: at least one drawn line with several points.
  const lines = await page.locator('.recharts-line-curve').evaluateAll((paths) => paths.map((p) => (p.getAttribute('d') ?? '').split(/[LC]/).length));
  expect(lines.some((n) => n >= 2), `chart lines: ${JSON.stringify(lines)}`).toBe(true);
  expect((await page.locator('body').textContent()) ?? '', 'rho on the page').toMatch(/rho/i);
  const umapPoints = await page.locator('canvas[data-points]').evaluateAll((cs) => cs.map((c) => Number(c.getAttribute('data-points'))));
  expect(umapPoints.length >= 3 && umapPoints.every((n) => n > 0), `UMAP canvases: ${JSON.stringify(umapPoints)}`).toBe(true);
  const confusionCells = await page.getByRole('region', { name: 'Confusion matrices' }).locator('td').count();
  expect(confusionCells, 'confusion cells').toBeGreaterThanOrEqual(36);
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export weights' }).click()]);
  expect(download.suggestedFilename()).toMatch(/\.safetensors$/);
  const path = await download.path();
  const header = parseSafetensorsHeader(new Uint8Array(readFileSync(path)));
  const names = header.tensors.map((t) => t.name);
  for (const n of ['audio_net.conv1.weight', 'visual_net.layer4.1.bn2.num_batches_tracked', 'fusion_module.fc_out.weight']) expect(names, `tensor ${n}`).toContain(n);
  expect(JSON.parse(header.metadata.class_names), 'class_names').toHaveLength(6);
  // Import: the exported file loads back and is evaluated; a hostile file is refused with a message.
  const input = page.getByLabel('Import weights');
  await input.setInputFiles(path);
  const loaded = page.getByText(/^Loaded \d+ tensors from /).first();
  // The demo's branches by their kinds: Audio and RGB; rho's value said in words.
  await expect(loaded).toHaveText(/Test accuracy [\d.]+% \(Audio [\d.]+%, RGB [\d.]+%\), rho [\d.]+ \((Audio|RGB|neither) stronger\)/, { timeout: 120_000 });
  const hostile = Buffer.alloc(16);
  hostile.writeBigUInt64LE(1n << 40n, 0); // claims a 1 TB header
  await input.setInputFiles({ name: 'hostile.safetensors', mimeType: 'application/octet-stream', buffer: hostile });
  await page.getByText(/^Could not load hostile\.safetensors: /).first().waitFor({ timeout: 60_000 });
  // Reported, not asserted: timings belong to benchmarks, and this machine's software GPU shares its 2 cores.
  console.log(`     main-thread tasks over 50 ms while training: ${longTasks.length}, longest ${Math.round(Math.max(0, ...longTasks))} ms`);
  expect(problems).toEqual([]);
});

test('pause and resume continue the same run; a reload shows the run and resumes it', async ({ page, baseURL }) => {
  test.setTimeout(900_000);
  const problems = await open(page, baseURL, TINY.replace('epochs=2', 'epochs=3'));
  await waitForStatus(page, /^Ready/, 120_000);
  await page.getByRole('button', { name: 'Train', exact: true }).click();
  await waitForStatus(page, /^Training: epoch 1 of 3, batch/, 120_000);
  await page.getByRole('button', { name: 'Pause' }).click();
  await waitForStatus(page, /^Paused/, 120_000);
  await page.getByRole('button', { name: 'Resume' }).click();
  await waitForStatus(page, /^Training: epoch 2 of 3/, 300_000);
  await page.getByRole('button', { name: 'Pause' }).click();
  const paused = await waitForStatus(page, /^Paused/, 120_000);
  const runs = page.getByRole('region', { name: 'Runs' }).locator('tbody tr');
  const runsBefore = await runs.count();
  // Reload: the run is still listed and continues from its last completed epoch.
  await page.reload();
  await waitForStatus(page, /^(Ready|Paused|Stopped)/, 120_000);
  const runsAfter = await runs.count();
  expect(runsAfter, `runs after reload (before: ${runsBefore}; ${paused})`).toBe(runsBefore);
  expect(runsAfter).toBeGreaterThanOrEqual(1);
  await page.getByRole('button', { name: /^Continue/ }).first().click();
  await waitForStatus(page, /^Done: 3 epochs/, 400_000);
  expect(await runs.count(), 'a resumed run must not add a row').toBe(runsBefore);
  expect(problems).toEqual([]);
});

test('Import run: a PyTorch trainer folder joins the runs with its badge, and its weights open for the matrices', async ({ page, baseURL }) => {
  test.setTimeout(600_000);
  if (skipWithoutTorch()) return;
  // The demo as the page generates it for this config, exported as a pack, trained one epoch in PyTorch.
  const config = makeConfig({ preset: 'tiny', width: 0.0625, batch: 16, epochs: 1, method: 'erm', seed: 2, featuresMax: 60 });
  const dir = mkdtempSync(join(tmpdir(), 'bmm-import-e2e-'));
  const pack = join(dir, 'demo-pack');
  mkdirSync(pack);
  for (const f of writePack(makeDemoDataset(demoOptionsFor(config)), { frames: config.frames })) writeFileSync(join(pack, f.name), f.bytes);
  writeFileSync(join(dir, 'run.json'), runConfigDocument(config));
  const out = join(dir, 'torch-run');
  runPython(['-m', 'bmm_lab.train', '--config', join(dir, 'run.json'), '--data', pack, '--out', out, '--workers', '0', '--device', 'cpu']);

  const problems = await open(page, baseURL, TINY);
  await waitForStatus(page, /^Ready/, 120_000);
  await page.getByLabel('Import run folder').setInputFiles(out);
  await expect(page.getByText(/^Imported 1 epochs from torch-run \(final test accuracy [\d.]+%\); press "Open weights"/)).toBeVisible({ timeout: 60_000 });
  const row = page.getByRole('region', { name: 'Runs' }).locator('tbody tr', { hasText: 'PyTorch' });
  await expect(row).toHaveCount(1);
  await expect(row).toContainText('ERM concat tiny 1ep seed 2');
  await row.getByRole('button', { name: /^Open weights of / }).click();
  await expect(page.getByText(/^Loaded \d+ tensors from model\.safetensors/).first()).toBeVisible({ timeout: 300_000 });
  const confusionCells = page.getByRole('region', { name: 'Confusion matrices' }).locator('td');
  await expect.poll(() => confusionCells.count(), { timeout: 60_000 }).toBeGreaterThanOrEqual(36);
  expect(problems).toEqual([]);
});
