/**
 * End-to-end tests of the runs a researcher manages and compares, in the real Chromium on the production build:
 * runs come in through Import run (trainer folders written here, no training), then the across-seeds table's
 * baseline differences and grouped curves, renaming and tagging (kept across a reload), the filter, delete with its
 * confirmation and Undo; and, training for real on the tiny preset, the status line's evaluation phase and
 * "Stopping…".
 *
 *   npx playwright test e2e/runs.e2e.ts --project lab
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import { makeConfig } from '../src/core/config';
import { runFolder } from './fixtures/runFolder';
import { open, TINY, waitForStatus } from './labPage';

const EPOCHS = 4;
const CONFIGS = [0, 1].flatMap((seed) => [
  makeConfig({ method: 'erm', seed, epochs: EPOCHS, preset: 'tiny' }),
  makeConfig({ method: 'bmm', seed, epochs: EPOCHS, preset: 'tiny', bmm: { ...makeConfig().bmm, warmup: 1 } }),
]);

const runsRegion = (page: Page) => page.getByRole('region', { name: 'Runs' });

async function importFour(page: Page): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'bmm-runs-e2e-'));
  const rows = runsRegion(page).locator('tbody tr');
  for (const [i, config] of CONFIGS.entries()) {
    await page.getByLabel('Import run folder').setInputFiles(runFolder(root, `run-${i}`, config));
    await expect(rows).toHaveCount(i + 1, { timeout: 60_000 });
  }
}

/** Every text the status line shows from now on (read back with `statuses`). */
async function recordStatuses(page: Page): Promise<void> {
  await page.evaluate(`(() => {
    const el = document.querySelector('.status-line');
    window.__statuses = [el.textContent];
    new MutationObserver(() => window.__statuses.push(el.textContent)).observe(el, { childList: true, characterData: true, subtree: true });
  })()`);
}
const statuses = (page: Page) => page.evaluate('window.__statuses') as Promise<string[]>;

test('across seeds: ERM is the baseline, B-MM gets paired differences, and the grouped curves draw both', async ({ page, baseURL }) => {
  const problems = await open(page, baseURL, TINY);
  await waitForStatus(page, /^Ready/, 180_000);
  await importFour(page);
  const seeds = page.getByRole('region', { name: 'Across seeds' });
  // ERM and B-MM differ in their warm-up-free settings only by the method: two groups of two seeds each.
  const rows = seeds.locator('table.groups tbody tr');
  await expect(rows).toHaveCount(2);
  await expect(seeds.getByLabel('Baseline')).toHaveValue(/erm/);
  const bmmRow = rows.filter({ hasText: 'B-MM' });
  // The made-up B-MM runs are 1 point above ERM on every seed (best and final fused), visual more after warm-up.
  await expect(bmmRow.locator('td.num').nth(6)).toHaveText('+1.0 ± 0.0');
  await expect(bmmRow.locator('td.num').nth(7)).toHaveText('+1.0 ± 0.0');
  await expect(rows.filter({ hasText: 'ERM' })).toContainText('baseline');
  await expect(seeds.getByText(/Best = best test epoch \(no validation split: optimistic\)/)).toBeVisible();
  const curves = seeds.locator('figure.group-curves');
  await expect(curves.locator('path.recharts-line-curve')).toHaveCount(2);
  await expect(curves.locator('path.recharts-area-area')).toHaveCount(2);
  expect(problems).toEqual([]);
});

test('rename and tag a run (kept across a reload), filter by tag, delete with confirmation and Undo', async ({ page, baseURL }) => {
  const problems = await open(page, baseURL, TINY);
  await waitForStatus(page, /^Ready/, 180_000);
  await importFour(page);
  const region = runsRegion(page);
  const first = region.locator('tbody tr', { hasText: 'ERM concat tiny 4ep seed 0' });
  await first.getByRole('button', { name: /^Edit name, tags and note of / }).click();
  await region.getByLabel('Name', { exact: true }).fill('my baseline');
  await region.getByLabel('Tags (comma-separated)').fill('baseline, crema');
  await region.getByLabel('Note', { exact: true }).fill('the reference run');
  await region.getByRole('button', { name: 'Save' }).click();
  const named = region.locator('tbody tr', { hasText: 'my baseline' });
  await expect(named).toContainText('the reference run');
  await expect(named.locator('.tag')).toHaveText(['baseline', 'crema']);
  await page.reload();
  await waitForStatus(page, /^Ready/, 180_000);
  await expect(region.locator('tbody tr', { hasText: 'my baseline' })).toHaveCount(1);
  // The filter matches tags; sorting by seed ascending puts the seed-0 runs first.
  await region.getByRole('searchbox').fill('crema');
  await expect(region.locator('tbody tr')).toHaveCount(1);
  await region.getByRole('searchbox').fill('');
  await expect(region.locator('tbody tr')).toHaveCount(4);
  // Delete asks first; Keep keeps; Delete? deletes; Undo brings it back.
  const target = region.locator('tbody tr', { hasText: 'my baseline' });
  await target.getByRole('button', { name: 'Delete my baseline' }).click();
  await target.getByRole('button', { name: 'Keep' }).click();
  await expect(region.locator('tbody tr')).toHaveCount(4);
  await target.getByRole('button', { name: 'Delete my baseline' }).click();
  await target.getByRole('button', { name: 'Yes, delete my baseline' }).click();
  await expect(region.locator('tbody tr')).toHaveCount(3);
  await expect(region.getByText('Deleted “my baseline”.')).toBeVisible();
  await region.getByRole('button', { name: 'Undo' }).click();
  await expect(region.locator('tbody tr', { hasText: 'my baseline' })).toHaveCount(1);
  expect(problems).toEqual([]);
});

test('the status line shows the evaluation phase with its progress, and Stopping… until the worker stops', async ({ page, baseURL }) => {
  const problems = await open(page, baseURL, TINY.replace('epochs=2', 'epochs=3'));
  await waitForStatus(page, /^Ready/, 180_000);
  await recordStatuses(page);
  await page.getByRole('button', { name: 'Train', exact: true }).click();
  await waitForStatus(page, /^Training: epoch 2 of 3/, 300_000);
  await page.getByRole('button', { name: 'Stop' }).click();
  await waitForStatus(page, /^Stopped/, 120_000);
  const seen = await statuses(page);
  expect(seen.some((t) => /^Evaluating epoch 1 of 3 \(BN statistics, train pass for rho, test pass\): (BN statistics|train pass for rho|test pass), batch \d+ of \d+$/.test(t)), seen.join('\n')).toBe(true);
  expect(seen).toContain('Stopping… (the batch or evaluation pass in hand finishes first)');
  expect(problems).toEqual([]);
});
