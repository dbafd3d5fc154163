/**
 * The bad-input corpus in the page (the decoding harness's production build in Chromium): each set of
 * e2e/fixtures/generated/badinput/ is added with "Add dataset folder" and decoded (WebCodecs, ffmpeg.wasm in the
 * workers), and what the page lists for every file is compared with the table in e2e/fixtures/badInputs.ts (which
 * the Node test reads too). Then the decode cache under faults: a damaged (half-written) entry is never used, and a
 * reload in the middle of decoding leaves a cache that the next decode completes.
 *
 *   npx playwright test --project badinput        (runs scripts/make-fixtures.sh first)
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, test, type Page } from '@playwright/test';
import type { DecodedSummary } from '../src/data/decode/testHook';
import { countVerdicts, verdictCountsText } from '../src/data/decode/verdicts';
import { BAD_INPUT_DIR, BAD_INPUT_SETS, BAD_INPUTS, checkSet, tableCounts } from './fixtures/badInputs';

const REPO = fileURLToPath(new URL('..', import.meta.url));
const FIX = join(REPO, 'e2e', 'fixtures', 'generated');
const CORPUS = join(FIX, BAD_INPUT_DIR);
const HARNESS_PATH = '/e2e/decode-harness.html';
const STEP_MS = 60_000;
const DECODE_MS = 240_000;

test.describe.configure({ mode: 'serial', timeout: 300_000 });

let page: Page;
const problems: string[] = [];
let tmp = '';
const seconds: Record<string, number> = {};
const totals = { used: 0, warned: 0, skipped: 0 };

test.beforeAll(async ({ browser }, info) => {
  test.setTimeout(300_000);
  const fixtures = spawnSync('bash', [join(REPO, 'scripts', 'make-fixtures.sh')], { cwd: REPO, stdio: 'inherit' });
  if (fixtures.status !== 0) throw new Error('scripts/make-fixtures.sh failed');
  tmp = mkdtempSync(join(tmpdir(), 'bmm-badinput-e2e-'));
  page = await browser.newPage({ baseURL: info.project.use.baseURL });
  page.setDefaultTimeout(STEP_MS);
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('crash', () => problems.push('the page crashed'));
  await page.goto(`${HARNESS_PATH}?test=1&preset=tiny`, { timeout: STEP_MS });
});

test.afterAll(async () => {
  const total = Object.values(seconds).reduce((a, b) => a + b, 0);
  console.log(
    `     bad-input corpus in the page: ${BAD_INPUTS.length} items, ${totals.used} used / ${totals.warned} used with a warning / ${totals.skipped} skipped, ` +
      `${total.toFixed(1)} s to add and decode (${Object.entries(seconds).map(([s, t]) => `${s} ${t.toFixed(1)} s`).join(', ')})`,
  );
  await page?.context().close();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

/** page.evaluate with a time limit (a hung page fails the test instead of stalling it). */
async function evaluate<R>(p: Page, fn: () => R | Promise<R>, arg: null, ms = STEP_MS): Promise<R> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`page.evaluate took over ${ms} ms`)), ms)));
  try {
    return await Promise.race([p.evaluate(fn, arg), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Entries in the page's decode cache (IndexedDB), committed ones only; 0 before the cache exists. */
function cachedCount(p: Page): Promise<number> {
  return evaluate(
    p,
    () =>
      new Promise<number>((resolve) => {
        const open = indexedDB.open('bmm-lab-decoded');
        open.onerror = () => resolve(0);
        // Never create the database here: the page creates it with its store.
        open.onupgradeneeded = () => open.transaction?.abort();
        open.onsuccess = () => {
          const db = open.result;
          if (!db.objectStoreNames.contains('clips')) return (db.close(), resolve(0));
          const count = db.transaction('clips', 'readonly').objectStore('clips').count();
          count.onsuccess = () => (db.close(), resolve(count.result));
          count.onerror = () => (db.close(), resolve(0));
        };
      }),
    null,
  );
}

async function clear(p: Page): Promise<void> {
  const button = p.getByRole('button', { name: 'Clear', exact: true });
  if (await button.isVisible()) await button.click({ timeout: STEP_MS });
}

async function addFolder(p: Page, dir: string): Promise<void> {
  await p.getByLabel('Add dataset folder').setInputFiles(dir, { timeout: DECODE_MS });
}

/** Presses Decode and returns the summary the page publishes when decoding ends. */
async function decode(p: Page): Promise<DecodedSummary> {
  await evaluate(p, () => delete window.__bmmLab?.decoded, null);
  await p.getByRole('button', { name: 'Decode', exact: true }).click({ timeout: STEP_MS });
  await p.waitForFunction(() => window.__bmmLab?.decoded !== undefined, null, { timeout: DECODE_MS });
  return evaluate(p, () => window.__bmmLab!.decoded!, null);
}

for (const set of BAD_INPUT_SETS) {
  test(`${set}: every file is listed as used, used with a warning or skipped, as the table says`, async () => {
    const t0 = Date.now();
    await clear(page);
    await addFolder(page, join(CORPUS, set));
    const planError = BAD_INPUTS.find((i) => i.set === set)?.planError;
    if (planError) {
      await expect(page.getByRole('alert'), 'the page says why this is no dataset').toHaveText(planError, { timeout: STEP_MS });
      await expect(page.getByRole('button', { name: 'Decode', exact: true }), 'nothing to decode').toHaveCount(0);
      seconds[set] = (Date.now() - t0) / 1000;
      return;
    }
    await page.getByTestId('dataset-found').waitFor({ timeout: DECODE_MS });
    const plan = await evaluate(page, () => window.__bmmLab!.plan!, null);
    const s = await decode(page);
    seconds[set] = (Date.now() - t0) / 1000;
    const counts = countVerdicts(s.verdicts);
    for (const k of ['used', 'warned', 'skipped'] as const) totals[k] += counts[k];
    expect(checkSet(set, s.verdicts, [...plan.warnings, ...s.warnings], 'page')).toEqual([]);
    // What the page shows: the counts, each warned clip with its reason, each skipped clip.
    await expect(page.getByTestId('decode-verdicts')).toHaveText(`Files: ${verdictCountsText(counts)}.`);
    const warned = s.verdicts.filter((r) => r.verdict === 'warned');
    if (warned.length > 0) {
      const text = await page.getByTestId('decode-warnings').innerText();
      for (const r of warned) expect(text, `${r.path} listed with its warning`).toContain(`${r.path}: ${r.reasons[0]}`);
    }
    if (s.failures.length > 0) {
      const text = await page.getByTestId('decode-failures').innerText();
      for (const f of s.failures) expect(text, `${f.path} listed as unusable`).toContain(f.path);
    }
    expect(s.train > 0 && s.test > 0, `a dataset is left to train on (${s.train} train / ${s.test} test)`).toBe(true);
  });
}

test('the page reached every verdict of the table', () => {
  const want = tableCounts('page');
  expect(totals).toEqual({ used: want.used, warned: want.warned, skipped: want.skipped });
});

test('a damaged entry in the decode cache (half of its frame bytes, as an interrupted write) is decoded again, never used', async () => {
  await clear(page);
  await addFolder(page, join(CORPUS, 'empty-class'));
  const first = await decode(page);
  expect(first.decoded + first.cached).toBe(5);
  const damaged = await evaluate(
    page,
    () =>
      new Promise<string>((resolve, reject) => {
        const open = indexedDB.open('bmm-lab-decoded');
        open.onerror = () => reject(open.error);
        open.onsuccess = () => {
          const db = open.result;
          const tx = db.transaction('clips', 'readwrite');
          const store = tx.objectStore('clips');
          const all = store.getAll();
          all.onsuccess = () => {
            type Run = { data: Uint8Array; count: number };
            const entry = (all.result as Array<{ key: string; ok: boolean; frames: { rgb?: Run } }>).find((e) => e.ok && e.key.includes('empty-class/train/red/clip1.mp4'));
            if (!entry?.frames.rgb) return reject(new Error('no cached entry with RGB frames for the red clip'));
            const rgb = entry.frames.rgb;
            store.put({ ...entry, frames: { ...entry.frames, rgb: { ...rgb, data: rgb.data.slice(0, rgb.data.length >> 1) } } });
            tx.oncomplete = () => {
              db.close();
              resolve(entry.key);
            };
          };
        };
      }),
    null,
  );
  expect(damaged).toContain('clip1.mp4');
  await clear(page);
  await addFolder(page, join(CORPUS, 'empty-class'));
  const again = await decode(page);
  expect([again.cached, again.decoded, again.failures.length], 'cached / decoded again / failed').toEqual([4, 1, 0]);
  expect(again.warnings.join('\n')).toMatch(/1 cached clips did not fit their settings .* and were decoded again/);
  for (const c of again.clips) expect(c.frameCount, `${c.id} has its frames`).toBeGreaterThan(0);
  const third = await decode(page);
  expect([third.cached, third.decoded], 'the entry decoded again replaced the damaged one').toEqual([5, 0]);
});

test('a reload in the middle of decoding: the next decode completes from a consistent cache, the third is all cached', async ({ browser }, info) => {
  const dir = join(tmp, 'reload', 'VideoFlash');
  mkdirSync(dir, { recursive: true });
  const sources = ['1001_DFA_ANG_XX', '1001_DFA_HAP_XX', '1001_DFA_NEU_XX', '1001_DFA_SAD_XX'];
  for (let i = 0; i < 40; i++) {
    const src = sources[i % 4];
    copyFileSync(join(FIX, 'crema-d', 'VideoFlash', `${src}.flv`), join(dir, `${3001 + i}_DFA_${src.split('_')[2]}_XX.flv`));
  }
  const p = await browser.newPage({ baseURL: info.project.use.baseURL });
  p.on('pageerror', (e) => problems.push(`page error (reload test): ${e.message}`));
  try {
    await p.goto(`${HARNESS_PATH}?test=1&preset=tiny&workers=1`, { timeout: STEP_MS });
    await addFolder(p, join(tmp, 'reload'));
    await expect(p.getByTestId('dataset-counts')).toHaveText('36 train / 4 test clips', { timeout: STEP_MS });
    await p.getByRole('button', { name: 'Decode', exact: true }).click();
    // Reload once the first batch of decoded clips is committed to the cache, while the rest is still decoding.
    const deadline = Date.now() + DECODE_MS;
    while ((await cachedCount(p)) < 16) {
      if (Date.now() > deadline) throw new Error('no 16 clips in the decode cache in time');
      await p.waitForTimeout(20);
    }
    const progress = (await p.getByTestId('decode-progress').textContent({ timeout: STEP_MS })) ?? '';
    expect(progress, 'still decoding when the page reloads').toMatch(/^\d+ \/ 40 clips/);
    await p.reload({ timeout: STEP_MS });
    await addFolder(p, join(tmp, 'reload'));
    const after = await decode(p);
    expect([after.failures.length, after.train + after.test], 'no clip lost or broken').toEqual([0, 40]);
    expect(after.cached + after.decoded).toBe(40);
    expect(after.cached, `the clips committed before the reload are read from the cache (${after.warnings.join('; ')})`).toBeGreaterThanOrEqual(16);
    for (const c of after.clips) expect(c.frameCount, `${c.id}: frames of a 1.2-1.4 s clip`).toBe(2);
    const third = await decode(p);
    expect([third.cached, third.decoded, third.failures.length]).toEqual([40, 0, 0]);
    console.log(`     after a reload mid-decode: ${after.cached} clips came from the cache, ${after.decoded} were decoded again`);
  } finally {
    await p.close();
  }
});

test('before decoding, a dataset larger than the storage the browser grants is warned about, with what would fit', async ({ browser }, info) => {
  const p = await browser.newPage({ baseURL: info.project.use.baseURL });
  try {
    // The browser reports 2 kB of storage left (estimate() is what the page reads).
    await p.addInitScript(() => {
      Object.defineProperty(navigator.storage, 'estimate', { value: async () => ({ quota: 3000, usage: 1000 }) });
    });
    await p.goto(`${HARNESS_PATH}?test=1&preset=tiny`, { timeout: STEP_MS });
    await addFolder(p, join(CORPUS, 'empty-class'));
    await expect(p.getByTestId('memory-warning')).toHaveText(
      /^May not fit: the decode cache needs about \d+\.\d kB and the browser grants 2\.0 kB more storage \(clips that do not fit are decoded again next time\): /,
      { timeout: STEP_MS },
    );
  } finally {
    await p.close();
  }
});

test('no page errors or crashes', () => {
  expect(problems).toEqual([]);
});
