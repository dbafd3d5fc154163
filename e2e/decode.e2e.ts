/**
 * End-to-end tests of "bring your own data" in the real Chromium, on the decoding harness's production build
 * (playwright.config.ts builds and serves it): loads the generated fixture folders through the "Add dataset folder"
 * input, checks what was found, decodes (WebCodecs and ffmpeg.wasm in workers), and checks the decoded tensors
 * through `window.__bmmLab.decoded` (the page is opened with `?test=1`).
 *
 *   npx playwright test --project decode        (runs scripts/make-fixtures.sh first)
 *
 * The tests run in order on one page: each starts from what the previous one left (the decode cache, the last
 * dataset for training).
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, test, type Browser, type Page } from '@playwright/test';
import type { DecodedSummary } from '../src/data/decode/testHook';
import { readPack } from '../src/data/pack';

const REPO = fileURLToPath(new URL('..', import.meta.url));
const FIX = join(REPO, 'e2e', 'fixtures', 'generated');
const HARNESS_PATH = '/e2e/decode-harness.html';
const STEP_MS = 60_000;

test.describe.configure({ mode: 'serial', timeout: 180_000 });

/** A page on the harness, recording page errors and any request leaving the origin. */
async function openHarness(browser: Browser, baseURL: string, query: string): Promise<{ page: Page; problems: string[] }> {
  const origin = new URL(baseURL).origin;
  const page = await browser.newPage({ baseURL });
  page.setDefaultTimeout(STEP_MS);
  const problems: string[] = [];
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('request', (r) => {
    const url = r.url();
    if (!url.startsWith(origin) && !url.startsWith('blob:') && !url.startsWith('data:')) problems.push(`request outside the app: ${url}`);
  });
  await page.goto(`${HARNESS_PATH}?${query}`, { timeout: STEP_MS });
  return { page, problems };
}

async function addFolder(page: Page, dir: string): Promise<void> {
  await page.getByLabel('Add dataset folder').setInputFiles(dir, { timeout: STEP_MS });
}

/** Presses Decode and returns the summary the page publishes when decoding ends. */
async function decode(page: Page): Promise<DecodedSummary> {
  await page.evaluate(() => delete window.__bmmLab?.decoded);
  await page.getByRole('button', { name: 'Decode', exact: true }).click({ timeout: STEP_MS });
  await page.waitForFunction(() => window.__bmmLab?.decoded !== undefined, null, { timeout: 120_000 });
  return page.evaluate(() => window.__bmmLab!.decoded!);
}

async function foundText(page: Page): Promise<string> {
  const found = page.getByTestId('dataset-found');
  await found.waitFor({ timeout: STEP_MS });
  return found.innerText({ timeout: STEP_MS });
}

function byLabel(s: DecodedSummary, label: number) {
  return s.clips.filter((c) => c.label === label);
}

/** A class-folder dataset with the fixture clips plus broken and stray files. */
function makeMixedDataset(root: string): string {
  const dir = join(root, 'mixed');
  cpSync(join(FIX, 'class-folders'), dir, { recursive: true });
  copyFileSync(join(FIX, 'clips', 'truncated.mp4'), join(dir, 'train', 'red', 'truncated.mp4'));
  copyFileSync(join(FIX, 'clips', 'not_media.mp4'), join(dir, 'train', 'green', 'not_media.mp4'));
  copyFileSync(join(FIX, 'clips', 'no_audio.mp4'), join(dir, 'train', 'blue', 'no_audio.mp4'));
  writeFileSync(join(dir, 'notes.md'), '# my notes\n');
  writeFileSync(join(dir, '.DS_Store'), 'junk');
  copyFileSync(join(FIX, 'crema-d', 'AudioWAV', '1001_DFA_ANG_XX.wav'), join(dir, 'train', 'red', 'orphan.wav'));
  return dir;
}

/** Every fixture codec in one class folder, broken files first, so one worker's ffmpeg.wasm must recover. */
function makeCodecsFolder(root: string): string {
  const dir = join(root, 'codecs', 'clips');
  mkdirSync(dir, { recursive: true });
  const order = ['not_media.mp4', 'truncated.mp4', 'flv1_mp3.flv', 'no_audio.mp4', 'xvid_mp3.avi', 'h264_aac.flv', 'vp9_opus.webm', 'h264_aac.mp4'];
  order.forEach((name, i) => copyFileSync(join(FIX, 'clips', name), join(dir, `${i}_${name}`)));
  // Codecs the browser cannot decode inside a container it reads: HEVC video, MPEG-4 part 2 video + MP2 audio, AC-3 audio.
  const src = ['-f', 'lavfi', '-i', 'testsrc=size=160x120:rate=10:duration=1.5', '-f', 'lavfi', '-i', 'sine=frequency=500:sample_rate=48000:duration=1.5'];
  const extra: Array<[string, string[]]> = [
    ['8_hevc_aac.mp4', ['-c:v', 'libx265', '-preset', 'ultrafast', '-x265-params', 'log-level=error', '-pix_fmt', 'yuv420p', '-tag:v', 'hvc1', '-c:a', 'aac']],
    ['9_mpeg4_mp2.mp4', ['-c:v', 'mpeg4', '-c:a', 'mp2']],
    ['10_h264_ac3.mp4', ['-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-c:a', 'ac3']],
  ];
  for (const [name, codec] of extra) {
    const r = spawnSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-nostdin', '-y', ...src, ...codec, '-shortest', join(dir, name)], { stdio: 'inherit' });
    if (r.status !== 0) throw new Error(`could not make ${name} with the system ffmpeg`);
  }
  return join(root, 'codecs');
}

/** A class-folder set with 120 clips in one folder: more than one readEntries batch (at most 100) when dropped. */
function makeBigFolder(root: string): string {
  const dir = join(root, 'big');
  const src = join(FIX, 'class-folders', 'train', 'red', 'clip1.mp4');
  for (const [sub, n] of [
    ['train/red', 120],
    ['train/blue', 1],
    ['test/red', 1],
    ['test/blue', 1],
  ] as const) {
    mkdirSync(join(dir, sub), { recursive: true });
    for (let i = 0; i < n; i++) copyFileSync(src, join(dir, sub, `clip${i}.mp4`));
  }
  return dir;
}

/** Drops OS paths (folders or files) on the drop zone with CDP, as a user dragging them from a file manager would. */
async function dropPaths(page: Page, paths: string[]): Promise<void> {
  const box = await page.getByTestId('dataset-drop-zone').boundingBox({ timeout: STEP_MS });
  if (!box) throw new Error('the drop zone is not visible');
  const cdp = await page.context().newCDPSession(page);
  const data = { items: [], files: paths, dragOperationsMask: 1 };
  for (const type of ['dragEnter', 'dragOver', 'drop'] as const) {
    await cdp.send('Input.dispatchDragEvent', { type, x: box.x + box.width / 2, y: box.y + 8, data });
  }
  await cdp.detach();
}

/** `n` CREMA-D-named FLV clips (copies of the fixtures under new names), for the cancel test. */
function makeCremaCopies(root: string, n: number): string {
  const dir = join(root, 'crema-many', 'VideoFlash');
  mkdirSync(dir, { recursive: true });
  const sources = ['1001_DFA_ANG_XX', '1001_DFA_HAP_XX', '1001_DFA_NEU_XX', '1001_DFA_SAD_XX'];
  for (let i = 0; i < n; i++) {
    const src = sources[i % 4];
    copyFileSync(join(FIX, 'crema-d', 'VideoFlash', `${src}.flv`), join(dir, `${2001 + i}_DFA_${src.split('_')[2]}_XX.flv`));
  }
  return join(root, 'crema-many');
}

let tmp = '';
let mixed = '';
let many = '';
let big = '';
let codecs = '';
let page: Page;
let problems: string[] = [];

test.beforeAll(async ({ browser }, info) => {
  test.setTimeout(300_000);
  const fixtures = spawnSync('bash', [join(REPO, 'scripts', 'make-fixtures.sh')], { cwd: REPO, stdio: 'inherit' });
  if (fixtures.status !== 0) throw new Error('scripts/make-fixtures.sh failed');
  tmp = mkdtempSync(join(tmpdir(), 'bmm-decode-e2e-'));
  mixed = makeMixedDataset(tmp);
  many = makeCremaCopies(tmp, 40);
  big = makeBigFolder(tmp);
  codecs = makeCodecsFolder(tmp);
  ({ page, problems } = await openHarness(browser, info.project.use.baseURL!, 'test=1&preset=tiny'));
});

test.afterAll(async () => {
  await page?.context().close();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

test('class folders with broken files: the found-summary lists classes, splits and every ignored file', async () => {
  await addFolder(page, mixed);
  const text = await foundText(page);
  expect(text, 'layout line').toContain('Found class folders: 3 classes');
  await expect(page.getByTestId('dataset-counts'), 'clip counts').toHaveText('9 train / 3 test clips');
  for (const cls of ['red', 'green', 'blue']) expect(text, `class row ${cls}`).toMatch(new RegExp(`${cls}\\s+3\\s+1`));
  const plan = await page.evaluate(() => window.__bmmLab!.plan!);
  const ignored = Object.fromEntries(plan.ignored.map((i) => [i.path, i.kind]));
  expect(ignored, 'ignored files').toEqual({ 'mixed/.DS_Store': 'hidden', 'mixed/notes.md': 'unknown-extension', 'mixed/train/red/orphan.wav': 'no-video' });
  await page.getByText('3 files ignored').click();
  const list = await page.getByTestId('dataset-ignored').innerText();
  expect(list).toContain('mixed/notes.md');
  expect(list).toContain("unknown extension '.md'");
});

test('decoding lists the unusable clips with their reasons and decodes the rest at the preset size', async () => {
  const s = await decode(page);
  expect([s.train, s.test], 'decoded train/test').toEqual([6, 3]);
  expect([s.audioHeight, s.audioWidth, s.frameSize, s.modalities], 'stored sizes (tiny preset)').toEqual([33, 24, 32, ['spectrogram', 'rgb']]);
  expect(s.classNames, 'class names').toEqual(['blue', 'green', 'red']);
  const reasons = Object.fromEntries(s.failures.map((f) => [f.path, f.reason]));
  expect(Object.keys(reasons).sort(), 'failed files').toEqual(['mixed/train/blue/no_audio.mp4', 'mixed/train/green/not_media.mp4', 'mixed/train/red/truncated.mp4']);
  expect(reasons['mixed/train/blue/no_audio.mp4']).toMatch(/no audio track/);
  expect(reasons['mixed/train/green/not_media.mp4']).toMatch(/not a media file/);
  expect(reasons['mixed/train/red/truncated.mp4']).toMatch(/truncated/);
  expect(s.decoders, 'decoders').toEqual({ 'webcodecs+webcodecs': 9 });
  for (const c of s.clips) {
    expect(c.frameCount, `${c.id} frames (1 s clip)`).toBe(1);
    expect(c.audioRange[0] > -16.2 && c.audioRange[1] < 5.6, `${c.id} spectrogram range ${c.audioRange}`).toBe(true);
  }
  // Colours: blue (label 0), green (1), red (2); tones 1600, 800, 400 Hz.
  for (const c of byLabel(s, 0)) expect(c.frameMean[2] > 200 && c.frameMean[0] < 80, `blue frame ${c.frameMean}`).toBe(true);
  for (const c of byLabel(s, 1)) expect(c.frameMean[1] > 90 && c.frameMean[0] < 80 && c.frameMean[2] < 80, `green frame ${c.frameMean}`).toBe(true);
  for (const c of byLabel(s, 2)) expect(c.frameMean[0] > 200 && c.frameMean[2] < 80, `red frame ${c.frameMean}`).toBe(true);
  const row = (label: number) => byLabel(s, label)[0].peakRow;
  expect(row(2) < row(1) && row(1) < row(0), `tone rows red ${row(2)} < green ${row(1)} < blue ${row(0)}`).toBe(true);
  const failures = await page.getByTestId('decode-failures').innerText();
  expect(failures).toContain('3 clips could not be used');
  expect(failures).toContain('mixed/train/green/not_media.mp4');
  const handed = await page.evaluate(() => window.__bmmLab!.onDataset);
  expect(handed, 'onDataset').toEqual([{ name: 'mixed', classNames: ['blue', 'green', 'red'], ignored: 6, train: 6, test: 3, modalities: ['spectrogram', 'rgb'] }]);
});

test('Export dataset writes the decoded clips as a pack: to a picked folder, or as downloads without the picker', async () => {
  // A picked folder: an in-page stand-in for the File System Access API records what the export writes.
  await page.evaluate(() => {
    const written: { name: string; bytes: number[] }[] = [];
    (window as unknown as { __written: typeof written }).__written = written;
    (window as unknown as { showDirectoryPicker: unknown }).showDirectoryPicker = async () => ({
      name: 'my-pack',
      getFileHandle: async (name: string) => ({
        createWritable: async () => {
          const parts: number[] = [];
          return {
            write: async (data: Uint8Array) => void parts.push(...data),
            close: async () => void written.push({ name, bytes: parts }),
          };
        },
      }),
    });
  });
  await page.getByRole('button', { name: 'Export dataset' }).click({ timeout: STEP_MS });
  await expect(page.getByText(/Wrote "mixed" as a pack \(9 clips, 2 frames each, 2 files\) to the folder "my-pack"/)).toBeVisible({ timeout: STEP_MS });
  const written = await page.evaluate(() => (window as unknown as { __written: { name: string; bytes: number[] }[] }).__written);
  expect(written.map((f) => f.name), 'files in write order').toEqual(['part-00000.safetensors', 'pack.json']);
  const files = new Map(written.map((f) => [f.name, Uint8Array.from(f.bytes)]));
  const pack = await readPack(async (name) => files.get(name) ?? Promise.reject(new Error(`no ${name}`)), 'my-pack');
  expect(pack.dataset.classNames).toEqual(['blue', 'green', 'red']);
  expect([pack.dataset.train.size, pack.dataset.test.size]).toEqual([6, 3]);
  expect([pack.dataset.audioHeight, pack.dataset.audioWidth, pack.dataset.frameSize]).toEqual([33, 24, 32]);
  expect(pack.inputs.frames, 'frames per clip (T)').toBe(2);

  // Without the picker: one download per file, the same bytes.
  await page.evaluate(() => ((window as unknown as { showDirectoryPicker: unknown }).showDirectoryPicker = undefined));
  await page.getByRole('button', { name: 'Export dataset' }).click({ timeout: STEP_MS });
  await page.waitForFunction(() => (window.__bmmLab?.downloads?.length ?? 0) >= 2, null, { timeout: STEP_MS });
  const downloads = await page.evaluate(() => window.__bmmLab!.downloads!);
  expect(downloads.map((f) => f.name)).toEqual(['part-00000.safetensors', 'pack.json']);
  expect(Uint8Array.from(downloads[0].bytes)).toEqual(files.get('part-00000.safetensors'));
});

test("one tiny epoch trains on the decoded data in the training worker, with the dataset's class names", async () => {
  test.setTimeout(300_000);
  const r = await page.evaluate(() => window.__bmmLab!.trainOneEpoch!({ epochs: 1, batch: 2 }));
  expect(r.errors, 'training errors').toEqual([]);
  expect(r.state, 'final state').toBe('done');
  expect(r.dataset, 'dataset seen by the training worker').toEqual({ name: 'mixed', classNames: ['blue', 'green', 'red'], modalities: ['spectrogram', 'rgb'], trainSize: 6, testSize: 3 });
  expect(r.epochs, 'epochs reported').toHaveLength(1);
  expect(Number.isFinite(r.epochs[0].loss) && r.epochs[0].loss > 0, `loss ${r.epochs[0].loss}`).toBe(true);
  expect(r.featureClasses, 'feature snapshot labels (UMAP legend classes)').toEqual([0, 1, 2]);
  console.log(`     trained 1 epoch on ${r.backend}: loss ${r.epochs[0].loss.toFixed(3)}`);
});

test('dropping the same folder again is served from the cache', async () => {
  await page.getByRole('button', { name: 'Clear', exact: true }).click();
  await addFolder(page, mixed);
  await foundText(page);
  const s = await decode(page);
  expect([s.cached, s.decoded, s.failures.length, s.train, s.test], 'cached / decoded / failed (remembered) / train / test').toEqual([9, 0, 3, 6, 3]);
  expect(s.seconds, 'seconds from the cache').toBeLessThan(5);
  expect(await page.getByTestId('decode-done').innerText(), 'the done line mentions the cache').toContain('9 from cache');
});

test('CREMA-D: FLV video through ffmpeg.wasm in the production build, audio from AudioWAV/', async () => {
  await page.getByRole('button', { name: 'Clear', exact: true }).click();
  await addFolder(page, join(FIX, 'crema-d'));
  const text = await foundText(page);
  expect(text).toContain('Found CREMA-D: 6 classes');
  expect(text).toContain('split from split lists');
  await expect(page.getByTestId('dataset-counts'), 'clip counts').toHaveText('4 train / 4 test clips');
  expect(await page.getByTestId('dataset-warnings').innerText(), 'warnings shown').toContain("class 'fear' has no clips");
  const s = await decode(page);
  expect([s.train, s.test, s.failures.length], 'decoded').toEqual([4, 4, 0]);
  expect(s.decoders, 'decoders (FLV needs ffmpeg.wasm; WAV decodes in the browser)').toEqual({ 'ffmpeg+webcodecs': 8 });
  expect(s.clipWarnings, 'warnings on clean clips').toEqual([]);
  expect(s.classNames, 'class names').toEqual(['neutral', 'happy', 'sad', 'fear', 'disgust', 'anger']);
  for (const c of s.clips) expect(c.frameCount, `${c.id} frames at 1 fps (1.2-1.4 s clips)`).toBe(2);
  const mean = (label: number) => byLabel(s, label)[0].frameMean;
  expect(mean(5)[0] > 200 && mean(5)[1] < 60, `anger is red: ${mean(5)}`).toBe(true);
  expect(mean(2)[2] > 200 && mean(2)[0] < 60, `sad is blue: ${mean(2)}`).toBe(true);
  expect(Math.abs(mean(0)[0] - mean(0)[2]), `neutral is gray: ${mean(0)}`).toBeLessThan(10);
  const row = (label: number) => byLabel(s, label)[0].peakRow;
  expect(row(0) <= row(1) && row(1) <= row(2) && row(2) < row(5), `tone rows 300 < 500 < 700 < 1100 Hz: ${[0, 1, 2, 5].map(row)}`).toBe(true);
});

test('several folders at once (VideoFlash/ and AudioWAV/ added separately) make one CREMA-D set', async () => {
  await page.getByRole('button', { name: 'Clear', exact: true }).click();
  await addFolder(page, join(FIX, 'crema-d', 'VideoFlash'));
  await addFolder(page, join(FIX, 'crema-d', 'AudioWAV'));
  const text = await foundText(page);
  expect(text).toContain('Found CREMA-D');
  expect(text).toContain('seeded 90/10 split');
  await expect(page.getByText(/16 files from VideoFlash, AudioWAV/), 'both folders listed').toHaveCount(1);
  const s = await decode(page);
  expect([s.train + s.test, s.failures.length], 'decoded').toEqual([8, 0]);
  expect(s.name, 'name').toBe('VideoFlash + AudioWAV');
});

test('UCF-101 with flow: RGB + flow by default (AVI frames through ffmpeg.wasm, flow JPEGs), one epoch of RGB + flow in the worker; audio + flow on request', async () => {
  test.setTimeout(400_000);
  await page.getByRole('button', { name: 'Clear', exact: true }).click();
  await addFolder(page, join(FIX, 'ucf'));
  const text = await foundText(page);
  expect(text).toContain('Found UCF-101: 2 classes');
  expect(text).toContain('trains RGB + Flow');
  const pairs = await page.getByTestId('dataset-pair').locator('option').allInnerTexts();
  expect(pairs, 'the pairs the data gives').toEqual(['RGB + Flow (default)', 'Audio + RGB', 'Audio + Flow']);
  const s = await decode(page);
  expect([s.train, s.test, s.modalities, s.failures.length], 'decoded RGB + flow set').toEqual([4, 2, ['rgb', 'flow'], 0]);
  expect(s.decoders, 'decoders (RGB + flow)').toEqual({ 'ffmpeg+image': 6 });
  // The fixture: ApplyEyeMakeup is an orange video with u = 168, Archery a purple one with u = 88; v is 128.
  for (const c of byLabel(s, 0)) {
    expect(Math.abs(c.frameMean[0] - 168) < 4 && Math.abs(c.frameMean[1] - 128) < 4, `ApplyEyeMakeup flow ${c.frameMean}`).toBe(true);
    expect(c.rgb!.frameMean[0] > 200 && c.rgb!.frameMean[2] < 80, `ApplyEyeMakeup RGB ${c.rgb!.frameMean}`).toBe(true);
  }
  for (const c of byLabel(s, 1)) {
    expect(Math.abs(c.frameMean[0] - 88) < 4 && Math.abs(c.frameMean[1] - 128) < 4, `Archery flow ${c.frameMean}`).toBe(true);
    expect(c.rgb!.frameMean[0] > 90 && c.rgb!.frameMean[1] < 60 && c.rgb!.frameMean[2] > 90, `Archery RGB ${c.rgb!.frameMean}`).toBe(true);
  }
  // The worker trains RGB (3 channels) in audio_net and flow (2) in visual_net.
  const r = await page.evaluate(() => window.__bmmLab!.trainOneEpoch!({ epochs: 1, batch: 2 }));
  expect([r.errors, r.state, r.epochs.length], 'one epoch on RGB + flow').toEqual([[], 'done', 1]);

  await page.getByTestId('dataset-pair').selectOption({ label: 'Audio + Flow' });
  expect(await foundText(page)).toContain('trains Audio + Flow');
  const af = await decode(page);
  expect([af.train, af.test, af.modalities, af.failures.length], 'decoded audio + flow set').toEqual([4, 2, ['spectrogram', 'flow'], 0]);
  expect(af.decoders, 'decoders (audio + flow)').toEqual({ 'image+ffmpeg': 6 });
});

test('frame folders: JPEG frames (capped per clip) and WAV audio', async () => {
  await page.getByRole('button', { name: 'Clear', exact: true }).click();
  await addFolder(page, join(FIX, 'frame-folders'));
  expect(await foundText(page), 'layout').toContain('Found frame folders: 2 classes');
  const s = await decode(page);
  expect([s.train, s.test, s.failures.length], 'decoded').toEqual([2, 2, 0]);
  expect(s.decoders, 'decoders').toEqual({ 'image+webcodecs': 4 });
  for (const c of s.clips) expect(c.frameCount, `${c.id}: 5 frames capped to 3`).toBe(3);
});

test('Cancel stops the workers; decoding again finishes and reuses what was cached', async () => {
  await page.getByRole('button', { name: 'Clear', exact: true }).click();
  await addFolder(page, many);
  await expect(page.getByTestId('dataset-counts'), 'clip counts').toHaveText('36 train / 4 test clips');
  const before = await page.evaluate(() => (window.__bmmLab?.onDataset ?? []).length);
  await page.evaluate(() => delete window.__bmmLab?.decoded);
  await page.getByRole('button', { name: 'Decode', exact: true }).click();
  await page.waitForFunction(() => /^[1-9]\d* \/ 40 clips/.test(document.querySelector('[data-testid=decode-progress]')?.textContent ?? ''), null, {
    timeout: STEP_MS,
    polling: 20,
  });
  expect(await page.getByTestId('decode-progress').innerText(), 'progress line').toMatch(/clips\/s · ETA/);
  await page.getByRole('button', { name: 'Cancel' }).click();
  await page.waitForFunction(() => window.__bmmLab?.decoded !== undefined, null, { timeout: STEP_MS });
  const cancelled = await page.evaluate(() => window.__bmmLab!.decoded!);
  expect(cancelled.cancelled, 'cancelled').toBe(true);
  expect(cancelled.decoded, 'decoded before cancel').toBeLessThan(40);
  expect(await page.getByTestId('decode-done').innerText(), 'cancel shown').toMatch(/^Cancelled/);
  const after = await page.evaluate(() => (window.__bmmLab?.onDataset ?? []).length);
  expect(after, 'no dataset handed over on cancel').toBe(before);
  const s = await decode(page);
  expect([s.train, s.test, s.cancelled], 'second decode').toEqual([36, 4, false]);
  expect(s.cached, 'clips decoded before the cancel come from the cache').toBe(cancelled.decoded);
});

test('drag and drop: folders are walked (readEntries until empty, > 100 entries) next to loose files', async () => {
  await page.getByRole('button', { name: 'Clear', exact: true }).click();
  await dropPaths(page, [big, join(FIX, 'clips', 'h264_aac.flv')]);
  expect(await foundText(page)).toContain('Found class folders: 2 classes');
  await expect(page.getByTestId('dataset-counts'), 'all 120 clips of the big folder').toHaveText('121 train / 2 test clips');
  await expect(page.getByText(/124 files from big, h264_aac.flv/), 'file count line').toHaveCount(1);
  const plan = await page.evaluate(() => window.__bmmLab!.plan!);
  expect(
    plan.ignored.map((i) => [i.path, i.kind]),
    'the loose file is listed as ignored',
  ).toEqual([['h264_aac.flv', 'no-class-folder']]);
  await page.getByRole('button', { name: 'Clear', exact: true }).click();
  await dropPaths(page, [join(FIX, 'crema-d')]);
  expect(await foundText(page), 'CREMA-D dropped').toContain('Found CREMA-D: 6 classes');
  const s = await decode(page);
  expect([s.train, s.test, s.failures.length], 'dropped CREMA-D decodes').toEqual([4, 4, 0]);
});

test('every codec with one worker (FLV1, Xvid, HEVC, MPEG-4 part 2, MP2, AC-3, VP9, H.264): ffmpeg.wasm recovers after broken files', async ({ browser }, info) => {
  const one = await openHarness(browser, info.project.use.baseURL!, 'test=1&preset=tiny&workers=1');
  try {
    await addFolder(one.page, codecs);
    await expect(one.page.getByTestId('dataset-counts'), 'clip counts').toHaveText('10 train / 1 test clips', { timeout: STEP_MS });
    const s = await decode(one.page);
    const reasons = Object.fromEntries(s.failures.map((f) => [f.path.split('/').pop(), f.reason]));
    expect(Object.keys(reasons).sort(), 'failed files').toEqual(['0_not_media.mp4', '1_truncated.mp4', '3_no_audio.mp4']);
    // Video: FLV1, H.264-in-FLV, Xvid, HEVC and MPEG-4 part 2 through ffmpeg.wasm, VP9 and H.264 in MP4 through
    // WebCodecs. Audio goes to whichever decoder takes it: which of MP3, MP2 and AC-3 the browser decodes itself
    // changes between Chromium versions, so only that every clip's audio has one of the two is held.
    const byVideo: Record<string, number> = {};
    for (const [pair, n] of Object.entries(s.decoders)) {
      const [video, audio] = pair.split('+');
      expect(['ffmpeg', 'webcodecs'], `audio decoder of ${pair}`).toContain(audio);
      byVideo[video] = (byVideo[video] ?? 0) + n;
    }
    expect(byVideo, 'video decoders: 5 codecs through ffmpeg.wasm, 3 through WebCodecs').toEqual({ ffmpeg: 5, webcodecs: 3 });
    expect(s.train + s.test, 'decoded clips').toBe(8);
    // Clean clips of every codec decode without a warning (the damage and duration checks have no false alarms).
    expect(s.clipWarnings, 'warnings on clean clips').toEqual([]);
    expect(one.problems, 'problems').toEqual([]);
  } finally {
    await one.page.context().close();
  }
});

test('without ?test=1 the page publishes no decode summary and no plan', async ({ browser }, info) => {
  const plain = await openHarness(browser, info.project.use.baseURL!, 'preset=tiny');
  try {
    await addFolder(plain.page, join(FIX, 'class-folders'));
    await expect(plain.page.getByTestId('dataset-counts'), 'clip counts').toHaveText('6 train / 3 test clips');
    await plain.page.getByRole('button', { name: 'Decode', exact: true }).click();
    await plain.page.waitForFunction(() => (window.__bmmLab?.onDataset ?? []).length === 1, null, { timeout: 120_000 });
    const hooks = await plain.page.evaluate(() => ({ decoded: window.__bmmLab?.decoded ?? null, plan: window.__bmmLab?.plan ?? null }));
    expect(hooks).toEqual({ decoded: null, plan: null });
    expect(plain.problems, 'problems').toEqual([]);
  } finally {
    await plain.page.context().close();
  }
});

test('no page errors and no request outside the app', async () => {
  expect(problems, 'problems').toEqual([]);
});
