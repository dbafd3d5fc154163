/**
 * End-to-end tests of the Compare view in the real Chromium on the production build, without training: runs come in
 * through Import run (trainer output folders written here), and the page is checked: the results table (mean ± std
 * over seeds with the number of seeds, the paper's numbers in their own column on a paper dataset, BalanceBenchmark's
 * marked, the methods the lab lacks), its CSV, Markdown and LaTeX files, the Reproduce Table 2 queue exported as a
 * torchrun script, and the queue's progress once every run of it is done, kept across a reload.
 *
 *   npx playwright test e2e/compare.e2e.ts --project lab
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test, type Download, type Page } from '@playwright/test';
import { makeConfig } from '../src/core/config';
import { CSV_COLUMNS } from '../src/core/resultsTable';
import { table2Queue } from '../src/ui/reproduceQueue';
import { writeRunFolder } from '../test/support/runFolders';
import { open, TINY, waitForStatus } from './labPage';

/** The page's config for TINY (the URL's settings). */
const PAGE_CONFIG = makeConfig({ preset: 'tiny', width: 0.0625, batch: 16, epochs: 2, method: 'bmm', bmm: { warmup: 1 }, featuresMax: 60 });
const DEMO = 'Demo (synthetic audio-visual)';

async function saved(page: Page, click: () => Promise<void>): Promise<{ name: string; text: string }> {
  const [download]: [Download, void] = await Promise.all([page.waitForEvent('download'), click()]);
  return { name: download.suggestedFilename(), text: readFileSync(await download.path(), 'utf8') };
}

async function importRuns(page: Page, folders: string[]): Promise<void> {
  const rows = page.getByRole('region', { name: 'Runs' }).locator('tbody tr');
  const before = await rows.count();
  for (const [i, folder] of folders.entries()) {
    await page.getByLabel('Import run folder').setInputFiles(folder);
    await expect(rows).toHaveCount(before + i + 1, { timeout: 60_000 });
  }
}

test('Compare: the results table with the paper beside ours, its exports, and the Table 2 queue kept across a reload', async ({ page, baseURL }) => {
  test.setTimeout(600_000);
  const problems = await open(page, baseURL, TINY);
  await waitForStatus(page, /^Ready/, 180_000);
  const root = mkdtempSync(join(tmpdir(), 'bmm-compare-e2e-'));
  const compare = page.getByRole('region', { name: 'Compare' });

  // Two ERM seeds and one AGM run on a dataset named CREMA-D: the paper's dataset.
  const crema = [
    makeConfig({ method: 'erm', seed: 0, epochs: 2, preset: 'tiny' }),
    makeConfig({ method: 'erm', seed: 1, epochs: 2, preset: 'tiny' }),
    makeConfig({ method: 'agm', seed: 0, epochs: 2, preset: 'tiny' }),
  ];
  await importRuns(page, crema.map((c, i) => writeRunFolder(root, `crema-${i}`, c, { dataset: 'CREMA-D' })));

  const table = compare.getByRole('table', { name: 'Results table' });
  await expect(table.locator('thead')).toContainText('CREMA-D');
  await expect(table.locator('thead th.paper')).toHaveText(['paper']);
  // The unimodal columns by the runs' kinds (runs that name no pair: audio + RGB).
  await expect(table.locator('thead tr').nth(1).locator('th')).toHaveText(['best', 'final', 'Audio', 'RGB', 'paper']);
  const row = (method: string) => table.locator(`tbody tr[data-method="${method}"]`);
  await expect(row('erm').locator('td')).toHaveText(['50.5 ± 0.7 (2)', '50.5 ± 0.7 (2)', '40.5 ± 0.7 (2)', '30.5 ± 0.7 (2)', '60.62']);
  await expect(row('agm').locator('td')).toHaveText(['50.0 (1)', '50.0 (1)', '40.0 (1)', '30.0 (1)', '71.59 †']);
  await expect(row('atf')).toContainText('(not in the lab)');
  await expect(row('atf').locator('td.paper')).toHaveText('64.25');
  await expect(row('greedy')).not.toContainText('(not in the lab)');
  await expect(row('greedy').locator('td.paper')).toHaveText('66.13');
  await expect(row('gblend')).not.toContainText('(not in the lab)');
  await expect(row('gblend').locator('td.paper')).toHaveText('67.34');
  await expect(row('bmm').locator('td')).toHaveText(['–', '–', '–', '–', '69.22']);
  await expect(compare.getByText(/^Test accuracy in %, mean ± std over seeds \(n seeds\); best: best test epoch \(no validation split: optimistic\)/)).toBeVisible();
  await expect(compare.getByText(/^†: BalanceBenchmark/)).toBeVisible();

  const csv = await saved(page, () => compare.getByRole('button', { name: 'Table CSV' }).click());
  expect(csv.name).toBe('bmm-lab_3-runs_results-table.csv');
  expect(csv.text.split('\n')[0]).toBe(CSV_COLUMNS.join(','));
  // The last column names the pair the audio_* / visual_* numbers are of: the imported runs name none, audio + RGB.
  expect(csv.text).toContain('erm,concat,Concat,,true,CREMA-D,CREMA-D,0 1,2,tiny,2,50.5,0.7071,50.5,0.7071,40.5,0.7071,30.5,0.7071,test,60.62,paper,audio+rgb\n');
  expect(csv.text).toContain('agm,concat,Concat + AGM,,true,CREMA-D,CREMA-D,0,1,tiny,2,50,0,50,0,40,0,30,0,test,71.59,BalanceBenchmark,audio+rgb\n');
  const md = await saved(page, () => compare.getByRole('button', { name: 'Table Markdown' }).click());
  expect(md.name).toBe('bmm-lab_3-runs_results-table.md');
  expect(md.text).toContain('| Concat | 50.5 ± 0.7 (2) | 50.5 ± 0.7 (2) | 40.5 ± 0.7 (2) | 30.5 ± 0.7 (2) | 60.62 |\n');
  const tex = await saved(page, () => compare.getByRole('button', { name: 'Table LaTeX' }).click());
  expect(tex.name).toBe('bmm-lab_3-runs_results-table.tex');
  expect(tex.text).toContain('Concat & 50.5 $\\pm$ 0.7 (2) & 50.5 $\\pm$ 0.7 (2) & 40.5 $\\pm$ 0.7 (2) & 30.5 $\\pm$ 0.7 (2) & 60.62 \\\\\n');
  expect(tex.text).toContain('\\toprule');

  // Reproduce Table 2 on the demo: the queue as a torchrun script, and the missing methods named.
  const reproduce = compare.getByRole('group', { name: 'Reproduce Table 2' });
  await expect(reproduce).toContainText(`36 runs on ${DEMO}, preset tiny (2 epochs)`);
  await expect(reproduce).toContainText('ATF (CREMA-D 64.25, Kinetics-Sounds 51.54, UCF-101 82.16)');
  const script = await saved(page, () => reproduce.getByRole('button', { name: 'Export as torchrun script' }).click());
  expect(script.name).toBe('bmm-lab_demo-synthetic-audio-visual_table2-torchrun.sh');
  const queue = table2Queue(PAGE_CONFIG);
  expect(script.text.match(/^run \S+ (--teacher-\S+ \S+ )*<<'BMM_LAB_RUN_CONFIG'$/gm)).toHaveLength(36);
  expect(script.text).toContain('run ogm-ge-concat-tiny-seed2 <<');
  // UMT trains on the seed's unimodal runs, which the script trains before it.
  expect(script.text).toContain(
    'run umt-concat-tiny-seed1 --teacher-audio "$OUT/audio-only-concat-tiny-seed1/model.safetensors" --teacher-visual "$OUT/visual-only-concat-tiny-seed1/model.safetensors" <<',
  );
  expect(script.text.indexOf('run visual-only-concat-tiny-seed1 <<')).toBeLessThan(script.text.indexOf('run umt-concat-tiny-seed1 '));
  expect(script.text).toContain('"maxM": 1');

  // Every run of the queue already trained (here: imported), so Reproduce has nothing to train and says so.
  await importRuns(page, queue.map((c, i) => writeRunFolder(root, `queue-${i}`, c, { dataset: DEMO })));
  await reproduce.getByRole('button', { name: 'Reproduce Table 2 on this dataset' }).click();
  await expect(page.getByText('All 36 runs of this sweep are already done on this dataset; nothing to train.')).toBeVisible();
  const progress = compare.getByRole('group', { name: 'Table 2 queue' });
  await expect(progress).toContainText(`Table 2 queue on ${DEMO}: 36 of 36 runs done (complete); 4s per run.`);
  await expect(progress.getByRole('progressbar', { name: 'Table 2 queue progress' })).toHaveAttribute('aria-valuenow', '36');
  await expect(table.locator('thead')).toContainText(DEMO);
  await expect(row('bmm').locator('td').nth(5)).toHaveText('51.0 ± 1.0 (3)');

  // After a reload the queue and its progress are still there.
  await page.reload();
  await waitForStatus(page, /^Ready/, 180_000);
  await expect(progress).toContainText(`36 of 36 runs done (complete)`, { timeout: 60_000 });
  await progress.getByRole('button', { name: 'Forget queue' }).click();
  await expect(progress).toHaveCount(0);
  expect(problems).toEqual([]);
});
