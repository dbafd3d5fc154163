/**
 * End-to-end tests of the charts, their exports and their accessibility, in the real Chromium on the production
 * build, without training: four runs come in through Import run (trainer output folders written here: metrics.jsonl
 * and config.json), are overlaid, and the page is checked: chart SVG and PNG exports at the plot's size with its
 * curves, the metrics CSV of the runs drawn, one file-name pattern, the imbalance view (modality colours, rho's
 * sides, the warm-up, the modality mixed), run colours that stay when a run is deleted, legend text contrast, named
 * chart regions without unnamed tab stops, and the 1024 x 768 layout without clipped columns.
 *
 *   npx playwright test e2e/exports.e2e.ts --project lab
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test, type Download, type Page } from '@playwright/test';
import { makeConfig } from '../src/core/config';
import { METRICS_CSV_COLUMNS } from '../src/ui/exportMetrics';
import { contrastRatio, MODALITY_COLORS } from '../src/ui/palette';
import { runFolder } from './fixtures/runFolder';
import { open, waitForStatus } from './labPage';

const EPOCHS = 6;
const WARMUP = 2;
const QUERY = 'test=1&preset=tiny&width=0.0625&batch=16&epochs=2&method=bmm&warmup=1&featuresMax=60';

const CONFIGS = [
  makeConfig({ method: 'bmm', seed: 0, epochs: EPOCHS, preset: 'tiny', bmm: { ...makeConfig().bmm, warmup: WARMUP } }),
  makeConfig({ method: 'erm', seed: 0, epochs: EPOCHS, preset: 'tiny' }),
  makeConfig({ method: 'bmm', seed: 1, epochs: EPOCHS, preset: 'tiny', bmm: { ...makeConfig().bmm, warmup: WARMUP } }),
  makeConfig({ method: 'erm', seed: 1, epochs: EPOCHS, preset: 'tiny' }),
];

/** Opens the lab, imports the four runs and overlays them all in the charts. */
async function withFourRuns(page: Page, baseURL: string | undefined): Promise<string[]> {
  const problems = await open(page, baseURL, QUERY);
  await waitForStatus(page, /^Ready/, 180_000);
  const root = mkdtempSync(join(tmpdir(), 'bmm-exports-e2e-'));
  const rows = page.getByRole('region', { name: 'Runs' }).locator('tbody tr');
  for (const [i, config] of CONFIGS.entries()) {
    await page.getByLabel('Import run folder').setInputFiles(runFolder(root, `run-${i}`, config));
    await expect(rows).toHaveCount(i + 1, { timeout: 60_000 });
  }
  const boxes = page.getByRole('region', { name: 'Runs' }).getByRole('checkbox', { name: /^Overlay .* in the charts$/ });
  for (let i = 0; i < (await boxes.count()); i++) await boxes.nth(i).check();
  await expect(page.getByRole('list', { name: 'Runs drawn' }).locator('li')).toHaveCount(4);
  // The charts redraw one at a time: wait for the last ones.
  await expect(chart(page, 'modalities').locator('path.recharts-line-curve')).toHaveCount(16);
  await expect(chart(page, 'mix').locator('path.recharts-line-curve')).toHaveCount(2);
  return problems;
}

const chart = (page: Page, id: string) => page.locator(`figure[data-chart="${id}"]`);

async function saved(page: Page, click: () => Promise<void>): Promise<{ name: string; bytes: Buffer }> {
  const [download]: [Download, void] = await Promise.all([page.waitForEvent('download'), click()]);
  return { name: download.suggestedFilename(), bytes: readFileSync(await download.path()) };
}

/** Width and height of a PNG from its IHDR chunk. */
function pngSize(bytes: Buffer): [number, number] {
  expect(bytes.subarray(1, 4).toString('latin1')).toBe('PNG');
  return [bytes.readUInt32BE(16), bytes.readUInt32BE(20)];
}

const FILE_NAME = /^bmm-lab_[a-z0-9-]+_[a-z0-9-]+\.[a-z.]+$/;

test('chart exports: SVG at the plot size with its curves, PNG at twice that, metrics CSV of the runs drawn, one file-name pattern', async ({ page, baseURL }) => {
  const problems = await withFourRuns(page, baseURL);
  for (const id of ['loss', 'modalities', 'rho']) {
    const figure = chart(page, id);
    const plot = figure.locator('.recharts-wrapper > svg');
    await expect(plot.locator('.recharts-line-curve').first()).toBeAttached();
    const box = (await plot.boundingBox())!;
    const curves = await plot.locator('path.recharts-line-curve').evaluateAll((ps) => ps.map((p) => p.getAttribute('d')));
    expect(curves.length, `${id} curves`).toBeGreaterThanOrEqual(4);

    const svg = await saved(page, () => figure.getByRole('button', { name: /as SVG$/ }).click());
    expect(svg.name).toBe(`bmm-lab_4-runs_chart-${id}.svg`);
    expect(svg.name).toMatch(FILE_NAME);
    const text = svg.bytes.toString('utf8');
    const [, w, h] = /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" width="(\d+)" height="(\d+)"/.exec(text) ?? [];
    expect(Number(w), `${id} SVG width = the plot's on the page`).toBe(Math.round(box.width));
    // Title above and the legend below the plot, no more: the legend stays a row or two with four runs.
    expect(Number(h) - Math.round(box.height), `${id} SVG height beyond the plot`).toBeGreaterThanOrEqual(26);
    expect(Number(h) - Math.round(box.height), `${id} SVG height beyond the plot`).toBeLessThanOrEqual(26 + 6 + 5 * 18 + 4);
    const plotTag = new RegExp(`<svg x="0" y="26" width="${Math.round(box.width)}" height="${Math.round(box.height)}"`);
    expect(text).toMatch(plotTag);
    for (const d of curves) expect(text, `${id} SVG holds the curve ${d?.slice(0, 30)}`).toContain(`d="${d}"`);
    for (const c of CONFIGS) expect(text).toContain(c.method === 'bmm' ? 'B-MM' : 'ERM');

    const png = await saved(page, () => figure.getByRole('button', { name: /as PNG$/ }).click());
    expect(png.name).toBe(`bmm-lab_4-runs_chart-${id}.png`);
    expect(pngSize(png.bytes), `${id} PNG size`).toEqual([2 * Number(w), 2 * Number(h)]);
    // Decoded in the page: its size, and the plot drawn in it (coloured pixels of the curves, not only a white page).
    const decoded = await page.evaluate(async (b64) => {
      const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
      const bitmap = await createImageBitmap(new Blob([bytes], { type: 'image/png' }));
      const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
      const ctx = canvas.getContext('2d')!;
      ctx.drawImage(bitmap, 0, 0);
      const { data } = ctx.getImageData(0, 0, bitmap.width, bitmap.height);
      let coloured = 0;
      for (let i = 0; i < data.length; i += 4) if (Math.max(data[i], data[i + 1], data[i + 2]) - Math.min(data[i], data[i + 1], data[i + 2]) > 60) coloured++;
      return { width: bitmap.width, height: bitmap.height, coloured };
    }, png.bytes.toString('base64'));
    expect([decoded.width, decoded.height], `${id} decoded PNG`).toEqual([2 * Number(w), 2 * Number(h)]);
    expect(decoded.coloured, `${id} PNG pixels of the curves`).toBeGreaterThan(2000);
  }

  // The metrics of every run drawn, one CSV: the run's columns first.
  const csv = await saved(page, () => page.getByRole('button', { name: /^Metrics CSV of the runs drawn/ }).click());
  expect(csv.name).toBe('bmm-lab_4-runs_metrics.csv');
  const [header, ...lines] = csv.bytes.toString('utf8').trimEnd().split('\n');
  expect(header).toBe(METRICS_CSV_COLUMNS.join(','));
  expect(lines).toHaveLength(4 * EPOCHS);
  const col = (name: string) => header.split(',').indexOf(name);
  const runs = new Set(lines.map((l) => l.split(',')[col('run_id')]));
  expect(runs.size).toBe(4);
  expect(new Set(lines.map((l) => `${l.split(',')[col('method')]}/${l.split(',')[col('seed')]}`))).toEqual(new Set(['bmm/0', 'erm/0', 'bmm/1', 'erm/1']));
  const bmmRows = lines.filter((l) => l.split(',')[col('method')] === 'bmm');
  expect(bmmRows.map((l) => l.split(',')[col('mixed_modality')])).toEqual(Array.from({ length: 2 }, () => ['', '', 'visual', 'visual', 'visual', 'visual']).flat());
  // Which kinds audio_* / visual_* (and mixed_modality's "visual") are: the demo's audio + RGB, in every row.
  expect(new Set(lines.map((l) => l.split(',')[col('modalities')]))).toEqual(new Set(['audio+rgb']));

  // A run's own files follow the same pattern.
  const region = page.getByRole('region', { name: 'Runs' });
  const own = [
    await saved(page, () => region.getByRole('button', { name: /^Download metrics CSV of / }).first().click()),
    await saved(page, () => region.getByRole('button', { name: /^Download metrics JSON of / }).first().click()),
    await saved(page, () => region.getByRole('button', { name: /^Download run config of / }).first().click()),
  ];
  expect(own.map((f) => f.name.replace(/^bmm-lab_[a-z0-9-]+_/, ''))).toEqual(['metrics.csv', 'metrics.json', 'config.run.json']);
  for (const f of own) expect(f.name).toMatch(FILE_NAME);
  expect(problems).toEqual([]);
});

test('the imbalance view: modality colours for every run, rho annotated, warm-up shaded, the modality B-MM mixed per epoch', async ({ page, baseURL }) => {
  const problems = await withFourRuns(page, baseURL);
  const modalities = chart(page, 'modalities');
  const curves = modalities.locator('path.recharts-line-curve');
  await expect(curves).toHaveCount(4 * 4); // both branches (Audio, RGB on the demo), train and test, of each run
  const strokes = await curves.evaluateAll((ps) => ps.map((p) => p.getAttribute('stroke')));
  expect(new Set(strokes)).toEqual(new Set([MODALITY_COLORS.audio, MODALITY_COLORS.visual]));
  const dashes = await modalities.locator('path.recharts-line-curve').evaluateAll((ps) => ps.map((p) => p.getAttribute('stroke-dasharray')));
  expect(dashes.filter((d) => d && d !== 'none')).toHaveLength(8); // test curves, dashed
  // Runs by marker: four different shapes on the modality chart.
  const shapes = await modalities.locator('path.chart-marker').evaluateAll((ps) => [...new Set(ps.map((p) => (p.getAttribute('d') ?? '').replace(/[\d.-]+/g, '#')))]);
  expect(shapes.length).toBe(4);

  const rho = chart(page, 'rho');
  await expect(rho.locator('.recharts-wrapper')).toContainText('> 1: Audio stronger');
  await expect(rho.locator('.recharts-wrapper')).toContainText('< 1: RGB stronger');
  await expect(modalities.getByRole('list', { name: /^Legend/ })).toContainText('Audio');
  await expect(modalities.getByRole('list', { name: /^Legend/ })).toContainText('RGB');
  for (const id of ['modalities', 'rho', 'mix']) {
    const band = chart(page, id).locator('.band-warmup-2 rect, rect.band-warmup-2, .band-warmup-2 path, path.band-warmup-2').first();
    await expect(band, `${id} warm-up band`).toBeAttached();
    await expect(chart(page, id).locator('.recharts-wrapper')).toContainText('B-MM warm-up');
  }
  // The mix chart: each B-MM epoch after the warm-up marked in the colour of the modality mixed (RGB: rho > 1).
  const fills = await chart(page, 'mix').locator('path.chart-marker').evaluateAll((ps) => ps.map((p) => p.getAttribute('fill')));
  expect(fills.filter((f) => f === MODALITY_COLORS.visual)).toHaveLength(2 * (EPOCHS - WARMUP));
  await expect(chart(page, 'mix').getByRole('list', { name: /^Legend/ })).toContainText('mixes RGB');

  // Legends: a dashed glyph for test, and small with four runs (one row of encodings, not one entry per curve).
  for (const id of ['loss', 'fused', 'modalities', 'rho', 'mix']) {
    const legend = chart(page, id).getByRole('list', { name: /^Legend/ });
    const box = (await legend.boundingBox())!;
    expect(box.height, `${id} legend height`).toBeLessThanOrEqual(40);
  }
  const dashedGlyph = chart(page, 'fused').locator('li[data-glyph="dashed"] line');
  await expect(dashedGlyph).toHaveAttribute('stroke-dasharray', '5 3');
  await expect(chart(page, 'fused').locator('li[data-glyph="dashed"]')).toContainText('test');
  // Axis titles on every chart.
  for (const id of ['loss', 'fused', 'modalities', 'rho', 'mix']) {
    await expect(chart(page, id).locator('.recharts-label').filter({ hasText: 'epoch' }).first()).toBeAttached();
    expect(await chart(page, id).locator('.recharts-label').count(), `${id} axis titles`).toBeGreaterThanOrEqual(2);
  }
  expect(problems).toEqual([]);
});

test('a run keeps its colour when another is deleted, in the runs table and the charts', async ({ page, baseURL }) => {
  const problems = await withFourRuns(page, baseURL);
  const keyColors = () => page.getByRole('list', { name: 'Runs drawn' }).locator('li').evaluateAll((lis) => Object.fromEntries(lis.map((li) => [li.getAttribute('data-run'), li.querySelector('svg')?.getAttribute('data-color')])));
  const tableColors = () =>
    page
      .getByRole('region', { name: 'Runs' })
      .locator('tbody tr')
      .evaluateAll((rows) => rows.map((r) => getComputedStyle(r.querySelector('.swatch')!).backgroundColor));
  const before = await keyColors();
  expect(new Set(Object.values(before)).size).toBe(4);
  const tableBefore = await tableColors();
  const lossStrokes = async () => [...new Set(await chart(page, 'loss').locator('path.recharts-line-curve').evaluateAll((ps) => ps.map((p) => p.getAttribute('stroke'))))];
  expect(new Set(await lossStrokes())).toEqual(new Set(Object.values(before)));
  // Delete the oldest run (first row): the others keep their colours.
  const region = page.getByRole('region', { name: 'Runs' });
  await region.getByRole('button', { name: /^Delete / }).first().click();
  // The table asks before it deletes.
  const confirm = region.getByRole('button', { name: /^Yes, delete / });
  if (await confirm.count()) await confirm.first().click();
  await expect(page.getByRole('list', { name: 'Runs drawn' }).locator('li')).toHaveCount(3);
  const after = await keyColors();
  for (const [id, color] of Object.entries(after)) expect(color, `run ${id}`).toBe(before[id]);
  const tableAfter = await tableColors();
  expect(tableAfter).toEqual(tableBefore.filter((c) => tableAfter.includes(c)));
  expect(new Set(await lossStrokes())).toEqual(new Set(Object.values(after)));
  // The UMAP and confusion panels show the viewed run in the same colour.
  const link = region.locator('tbody tr').first().locator('button.link').first();
  const label = ((await link.textContent()) ?? '').trim();
  await link.click();
  const keyed = await page.getByRole('list', { name: 'Runs drawn' }).locator('li', { hasText: label }).locator('svg').getAttribute('data-color');
  expect(keyed).toBeTruthy();
  for (const name of ['UMAP of features', 'Confusion matrices']) await expect(page.getByRole('region', { name }).locator('.swatch').first()).toHaveAttribute('data-color', keyed!);
  expect(problems).toEqual([]);
});

test('accessibility at 1024 x 768: named chart regions, no unnamed tab stops, legend text at 4.5:1, no clipped columns', async ({ page, baseURL }) => {
  await page.setViewportSize({ width: 1024, height: 768 });
  const problems = await withFourRuns(page, baseURL);
  // Every chart is one image with a name that says what it shows.
  for (const id of ['loss', 'fused', 'modalities', 'rho', 'mix']) {
    const img = chart(page, id).getByRole('img');
    await expect(img, `${id}: one image, the plot (its SVG is presentation)`).toHaveCount(1);
    await expect(img).toHaveAttribute('aria-label', /x: epoch, y: .+\. .*seed/);
  }
  await expect(page.getByRole('img', { name: /^Imbalance rho = s_Audio \/ s_RGB .*Audio stronger/ })).toHaveCount(1);
  // No SVG is a tab stop (recharts' accessibility layer made each an unnamed one).
  const stops = await page
    .locator('svg')
    .evaluateAll((svgs) => svgs.filter((s) => s.tabIndex >= 0 || (s.getAttribute('tabindex') ?? '-1') !== '-1').map((s) => `${s.getAttribute('class')} in ${s.closest('[aria-label]')?.getAttribute('aria-label')}`));
  expect(stops, 'SVG tab stops').toEqual([]);
  // Legend and run-key text against the background it is drawn on.
  const pairs = await page.locator('[data-legend] .legend-text').evaluateAll((spans) =>
    spans.map((s) => {
      const hex = (c: string) => {
        const [r, g, b] = (c.match(/\d+/g) ?? []).map(Number);
        return `#${[r, g, b].map((v) => v.toString(16).padStart(2, '0')).join('')}`;
      };
      let el: Element | null = s;
      let bg = 'rgba(0, 0, 0, 0)';
      while (el && /rgba\(0, 0, 0, 0\)|transparent/.test(bg)) {
        bg = getComputedStyle(el).backgroundColor;
        el = el.parentElement;
      }
      return { text: s.textContent ?? '', fg: hex(getComputedStyle(s).color), bg: hex(bg) };
    }),
  );
  expect(pairs.length).toBeGreaterThan(10);
  for (const p of pairs) expect(contrastRatio(p.fg, p.bg), `"${p.text}" ${p.fg} on ${p.bg}`).toBeGreaterThanOrEqual(4.5);
  // Nothing clipped: no panel or table scrolls sideways, every header cell lies inside the window.
  const overflow = await page.locator('.panel, .table-wrap, .sidebar, .main').evaluateAll((els) =>
    els.filter((e) => e.scrollWidth > e.clientWidth + 1).map((e) => `${e.className} (${e.getAttribute('aria-label') ?? ''}): ${e.scrollWidth} > ${e.clientWidth}`),
  );
  expect(overflow).toEqual([]);
  const cells = await page.locator('main th, main td').evaluateAll((els) =>
    els
      .map((e) => ({ text: (e.textContent ?? '').slice(0, 30), right: e.getBoundingClientRect().right }))
      .filter((c) => c.right > document.documentElement.clientWidth + 1),
  );
  expect(cells).toEqual([]);
  expect(await page.evaluate(() => document.documentElement.scrollWidth <= document.documentElement.clientWidth), 'page scrolls sideways').toBe(true);
  expect(problems).toEqual([]);
});
