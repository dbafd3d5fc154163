/**
 * End-to-end test of "bring your own data" in the real Chromium: builds the decoding harness (production build),
 * serves it, loads the generated fixture folders through the "Add dataset folder" input, checks what was found,
 * decodes (WebCodecs and ffmpeg.wasm in workers), and checks the decoded tensors through `window.__bmmLab.decoded`.
 *
 *   npx tsx e2e/decode.e2e.ts            (runs scripts/make-fixtures.sh first; exit code 0 = all passed)
 *
 * The last line printed is "N passed, M failed".
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import type { DecodedSummary } from '../src/data/decode/testHook';
import { assert, eq, Suite } from './runner';
import { buildHarness, HARNESS_DIST, HARNESS_PATH, launchChromium, REPO, serveStatic } from './decode.serve';

const PORT = Number(process.env.DECODE_E2E_PORT ?? 4174);
const ORIGIN = `http://127.0.0.1:${PORT}`;
const FIX = join(REPO, 'e2e', 'fixtures', 'generated');
const STEP_MS = 60_000;

const suite = new Suite();
const test = suite.test.bind(suite);

/** A page on the harness, failing on page errors and on any request leaving the origin. */
async function openHarness(browser: Browser, preset = 'tiny', query = ''): Promise<{ page: Page; problems: string[] }> {
  const page = await browser.newPage();
  page.setDefaultTimeout(STEP_MS);
  const problems: string[] = [];
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('request', (r) => {
    const url = r.url();
    if (!url.startsWith(ORIGIN) && !url.startsWith('blob:') && !url.startsWith('data:')) problems.push(`request outside the app: ${url}`);
  });
  await page.goto(`${ORIGIN}${HARNESS_PATH}?preset=${preset}${query}`, { timeout: STEP_MS });
  return { page, problems };
}

async function addFolder(page: Page, dir: string): Promise<void> {
  await page.getByLabel('Add dataset folder').setInputFiles(dir, { timeout: STEP_MS });
}

async function decode(page: Page): Promise<DecodedSummary> {
  await page.evaluate(() => {
    const w = window as unknown as { __bmmLab?: { decoded?: unknown } };
    if (w.__bmmLab) delete w.__bmmLab.decoded;
  });
  await page.getByRole('button', { name: 'Decode', exact: true }).click({ timeout: STEP_MS });
  await page.waitForFunction(() => (window as unknown as { __bmmLab?: { decoded?: unknown } }).__bmmLab?.decoded !== undefined, null, { timeout: 120_000 });
  return page.evaluate(() => (window as unknown as { __bmmLab: { decoded: DecodedSummary } }).__bmmLab.decoded, null);
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
  assert(box, 'drop zone visible');
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

async function main(): Promise<void> {
  const fixtures = spawnSync('bash', [join(REPO, 'scripts', 'make-fixtures.sh')], { cwd: REPO, stdio: 'inherit' });
  if (fixtures.status !== 0) throw new Error('scripts/make-fixtures.sh failed');
  buildHarness();
  const tmp = mkdtempSync(join(tmpdir(), 'bmm-decode-e2e-'));
  const mixed = makeMixedDataset(tmp);
  const many = makeCremaCopies(tmp, 40);
  const big = makeBigFolder(tmp);
  const codecs = makeCodecsFolder(tmp);
  const server = await serveStatic(HARNESS_DIST, PORT);
  const browser = await launchChromium();
  try {
    const { page, problems } = await openHarness(browser);

    await test('class folders with broken files: the found-summary lists classes, splits and every ignored file', async () => {
      await addFolder(page, mixed);
      const text = await foundText(page);
      assert(text.includes('Found class folders: 3 classes'), `layout line: ${text}`);
      eq(await page.getByTestId('dataset-counts').innerText(), '9 train / 3 test clips', 'clip counts');
      for (const cls of ['red', 'green', 'blue']) assert(new RegExp(`${cls}\\s+3\\s+1`).test(text), `class row ${cls} in ${text}`);
      const plan = await page.evaluate(() => (window as unknown as { __bmmLab: { plan: { ignored: Array<{ path: string; kind: string }> } } }).__bmmLab.plan);
      const ignored = Object.fromEntries(plan.ignored.map((i) => [i.path, i.kind]).sort());
      eq(ignored, { 'mixed/.DS_Store': 'hidden', 'mixed/notes.md': 'unknown-extension', 'mixed/train/red/orphan.wav': 'no-video' }, 'ignored files');
      await page.getByText('3 files ignored').click();
      const list = await page.getByTestId('dataset-ignored').innerText();
      assert(list.includes('mixed/notes.md') && list.includes("unknown extension '.md'"), `ignored list: ${list}`);
    });

    await test('decoding lists the unusable clips with their reasons and decodes the rest at the preset size', async () => {
      const s = await decode(page);
      eq([s.train, s.test], [6, 3], 'decoded train/test');
      eq([s.audioHeight, s.audioWidth, s.frameSize, s.frameChannels], [33, 24, 32, 3], 'stored sizes (tiny preset)');
      eq(s.classNames, ['blue', 'green', 'red'], 'class names');
      const reasons = Object.fromEntries(s.failures.map((f) => [f.path, f.reason]));
      eq(Object.keys(reasons).sort(), ['mixed/train/blue/no_audio.mp4', 'mixed/train/green/not_media.mp4', 'mixed/train/red/truncated.mp4'], 'failed files');
      assert(/no audio track/.test(reasons['mixed/train/blue/no_audio.mp4']), reasons['mixed/train/blue/no_audio.mp4']);
      assert(/not a media file/.test(reasons['mixed/train/green/not_media.mp4']), reasons['mixed/train/green/not_media.mp4']);
      assert(/truncated/.test(reasons['mixed/train/red/truncated.mp4']), reasons['mixed/train/red/truncated.mp4']);
      eq(s.decoders, { 'webcodecs+webcodecs': 9 }, 'decoders');
      for (const c of s.clips) {
        eq(c.frameCount, 1, `${c.id} frames (1 s clip)`);
        assert(c.audioRange[0] > -16.2 && c.audioRange[1] < 5.6, `${c.id} spectrogram range ${c.audioRange}`);
      }
      // Colours: blue (label 0), green (1), red (2); tones 1600, 800, 400 Hz.
      for (const c of byLabel(s, 0)) assert(c.frameMean[2] > 200 && c.frameMean[0] < 80, `blue frame ${c.frameMean}`);
      for (const c of byLabel(s, 1)) assert(c.frameMean[1] > 90 && c.frameMean[0] < 80 && c.frameMean[2] < 80, `green frame ${c.frameMean}`);
      for (const c of byLabel(s, 2)) assert(c.frameMean[0] > 200 && c.frameMean[2] < 80, `red frame ${c.frameMean}`);
      const row = (label: number) => byLabel(s, label)[0].peakRow;
      assert(row(2) < row(1) && row(1) < row(0), `tone rows red ${row(2)} < green ${row(1)} < blue ${row(0)}`);
      const failures = await page.getByTestId('decode-failures').innerText();
      assert(failures.includes('3 clips could not be used') && failures.includes('mixed/train/green/not_media.mp4'), failures);
      const handed = await page.evaluate(() => (window as unknown as { __bmmLab: { onDataset: unknown[] } }).__bmmLab.onDataset);
      eq(handed, [{ name: 'mixed', classNames: ['blue', 'green', 'red'], ignored: 6, train: 6, test: 3, frameChannels: 3 }], 'onDataset');
    });

    await test('one tiny epoch trains on the decoded data in the training worker, with the dataset\'s class names', async () => {
      const r = await page.evaluate(
        () =>
          (
            window as unknown as {
              __bmmLab: { trainOneEpoch: (o: object) => Promise<{ backend: string; dataset: { name: string; classNames: string[]; trainSize: number; testSize: number } | null; epochs: Array<{ epoch: number; loss: number }>; featureClasses: number[]; errors: string[]; state: string }> };
            }
          ).__bmmLab.trainOneEpoch({ epochs: 1, batch: 2 }),
        null,
      );
      eq(r.errors, [], 'training errors');
      eq(r.state, 'done', 'final state');
      eq(r.dataset, { name: 'mixed', classNames: ['blue', 'green', 'red'], trainSize: 6, testSize: 3 }, 'dataset seen by the training worker');
      eq(r.epochs.length, 1, 'epochs reported');
      assert(Number.isFinite(r.epochs[0].loss) && r.epochs[0].loss > 0, `loss ${r.epochs[0].loss}`);
      eq(r.featureClasses, [0, 1, 2], 'feature snapshot labels (UMAP legend classes)');
      console.log(`     trained 1 epoch on ${r.backend}: loss ${r.epochs[0].loss.toFixed(3)}`);
    }, 300_000);

    await test('dropping the same folder again is served from the cache', async () => {
      await page.getByRole('button', { name: 'Clear', exact: true }).click();
      await addFolder(page, mixed);
      await foundText(page);
      const s = await decode(page);
      eq([s.cached, s.decoded, s.failures.length, s.train, s.test], [9, 0, 3, 6, 3], 'cached / decoded / failed (remembered) / train / test');
      assert(s.seconds < 5, `from cache in ${s.seconds} s`);
      assert((await page.getByTestId('decode-done').innerText()).includes('9 from cache'), 'done line mentions the cache');
    });

    await test('CREMA-D: FLV video through ffmpeg.wasm in the production build, audio from AudioWAV/', async () => {
      await page.getByRole('button', { name: 'Clear', exact: true }).click();
      await addFolder(page, join(FIX, 'crema-d'));
      const text = await foundText(page);
      assert(text.includes('Found CREMA-D: 6 classes') && text.includes('split from split lists'), text);
      eq(await page.getByTestId('dataset-counts').innerText(), '4 train / 4 test clips', 'clip counts');
      assert((await page.getByTestId('dataset-warnings').innerText()).includes("class 'fear' has no clips"), 'warnings shown');
      const s = await decode(page);
      eq([s.train, s.test, s.failures.length], [4, 4, 0], 'decoded');
      eq(s.decoders, { 'ffmpeg+webcodecs': 8 }, 'decoders (FLV needs ffmpeg.wasm; WAV decodes in the browser)');
      eq(s.classNames, ['neutral', 'happy', 'sad', 'fear', 'disgust', 'anger'], 'class names');
      for (const c of s.clips) eq(c.frameCount, 2, `${c.id} frames at 1 fps (1.2-1.4 s clips)`);
      const mean = (label: number) => byLabel(s, label)[0].frameMean;
      assert(mean(5)[0] > 200 && mean(5)[1] < 60, `anger is red: ${mean(5)}`);
      assert(mean(2)[2] > 200 && mean(2)[0] < 60, `sad is blue: ${mean(2)}`);
      assert(Math.abs(mean(0)[0] - mean(0)[2]) < 10, `neutral is gray: ${mean(0)}`);
      const row = (label: number) => byLabel(s, label)[0].peakRow;
      assert(row(0) <= row(1) && row(1) <= row(2) && row(2) < row(5), `tone rows 300 < 500 < 700 < 1100 Hz: ${[0, 1, 2, 5].map(row)}`);
    });

    await test('several folders at once (VideoFlash/ and AudioWAV/ added separately) make one CREMA-D set', async () => {
      await page.getByRole('button', { name: 'Clear', exact: true }).click();
      await addFolder(page, join(FIX, 'crema-d', 'VideoFlash'));
      await addFolder(page, join(FIX, 'crema-d', 'AudioWAV'));
      const text = await foundText(page);
      assert(text.includes('Found CREMA-D') && text.includes('seeded 90/10 split'), text);
      assert((await page.getByText(/16 files from VideoFlash, AudioWAV/).count()) === 1, 'both folders listed');
      const s = await decode(page);
      eq([s.train + s.test, s.failures.length], [8, 0], 'decoded');
      eq(s.name, 'VideoFlash + AudioWAV', 'name');
    });

    await test('UCF-101 with flow: AVI (Xvid + MP3) audio through ffmpeg.wasm, 2-channel flow frames', async () => {
      await page.getByRole('button', { name: 'Clear', exact: true }).click();
      await addFolder(page, join(FIX, 'ucf'));
      const text = await foundText(page);
      assert(text.includes('Found UCF-101: 2 classes') && text.includes('audio + optical flow'), text);
      const s = await decode(page);
      eq([s.train, s.test, s.frameChannels, s.failures.length], [4, 2, 2, 0], 'decoded flow set');
      eq(s.decoders, { 'image+ffmpeg': 6 }, 'decoders');
      for (const c of byLabel(s, 0)) assert(Math.abs(c.frameMean[0] - 168) < 4 && Math.abs(c.frameMean[1] - 128) < 4, `ApplyEyeMakeup flow ${c.frameMean}`);
      for (const c of byLabel(s, 1)) assert(Math.abs(c.frameMean[0] - 88) < 4 && Math.abs(c.frameMean[1] - 128) < 4, `Archery flow ${c.frameMean}`);
      // The engine takes 2-channel frames as they are.
      const r = await page.evaluate(
        () =>
          (window as unknown as { __bmmLab: { trainOneEpoch: (o: object) => Promise<{ errors: string[]; state: string; epochs: unknown[] }> } }).__bmmLab.trainOneEpoch({
            epochs: 1,
            batch: 2,
          }),
        null,
      );
      eq([r.errors, r.state, r.epochs.length], [[], 'done', 1], 'one epoch on flow');
    }, 300_000);

    await test('frame folders: JPEG frames (capped per clip) and WAV audio', async () => {
      await page.getByRole('button', { name: 'Clear', exact: true }).click();
      await addFolder(page, join(FIX, 'frame-folders'));
      assert((await foundText(page)).includes('Found frame folders: 2 classes'), 'layout');
      const s = await decode(page);
      eq([s.train, s.test, s.failures.length], [2, 2, 0], 'decoded');
      eq(s.decoders, { 'image+webcodecs': 4 }, 'decoders');
      for (const c of s.clips) eq(c.frameCount, 3, `${c.id}: 5 frames capped to 3`);
    });

    await test('Cancel stops the workers; decoding again finishes and reuses what was cached', async () => {
      await page.getByRole('button', { name: 'Clear', exact: true }).click();
      await addFolder(page, many);
      eq(await page.getByTestId('dataset-counts').innerText(), '36 train / 4 test clips', 'clip counts');
      const before = await page.evaluate(() => ((window as unknown as { __bmmLab: { onDataset: unknown[] } }).__bmmLab.onDataset ?? []).length);
      await page.evaluate(() => {
        const w = window as unknown as { __bmmLab?: { decoded?: unknown } };
        if (w.__bmmLab) delete w.__bmmLab.decoded;
      });
      await page.getByRole('button', { name: 'Decode', exact: true }).click();
      await page.waitForFunction(() => /^[1-9]\d* \/ 40 clips/.test(document.querySelector('[data-testid=decode-progress]')?.textContent ?? ''), null, {
        timeout: STEP_MS,
        polling: 20,
      });
      const progressLine = await page.getByTestId('decode-progress').innerText();
      assert(/clips\/s · ETA/.test(progressLine), `progress line: ${progressLine}`);
      await page.getByRole('button', { name: 'Cancel' }).click();
      await page.waitForFunction(() => (window as unknown as { __bmmLab?: { decoded?: unknown } }).__bmmLab?.decoded !== undefined, null, { timeout: STEP_MS });
      const cancelled = await page.evaluate(() => (window as unknown as { __bmmLab: { decoded: DecodedSummary } }).__bmmLab.decoded);
      assert(cancelled.cancelled, 'cancelled');
      assert(cancelled.decoded < 40, `decoded before cancel: ${cancelled.decoded}`);
      assert((await page.getByTestId('decode-done').innerText()).startsWith('Cancelled'), 'cancel shown');
      const after = await page.evaluate(() => ((window as unknown as { __bmmLab: { onDataset: unknown[] } }).__bmmLab.onDataset ?? []).length);
      eq(after, before, 'no dataset handed over on cancel');
      const s = await decode(page);
      eq([s.train, s.test, s.cancelled], [36, 4, false], 'second decode');
      eq(s.cached, cancelled.decoded, 'clips decoded before the cancel come from the cache');
    });

    await test('drag and drop: folders are walked (readEntries until empty, > 100 entries) next to loose files', async () => {
      await page.getByRole('button', { name: 'Clear', exact: true }).click();
      await dropPaths(page, [big, join(FIX, 'clips', 'h264_aac.flv')]);
      const text = await foundText(page);
      assert(text.includes('Found class folders: 2 classes'), text);
      eq(await page.getByTestId('dataset-counts').innerText(), '121 train / 2 test clips', 'all 120 clips of the big folder');
      assert((await page.getByText(/124 files from big, h264_aac.flv/).count()) === 1, 'file count line');
      const plan = await page.evaluate(() => (window as unknown as { __bmmLab: { plan: { ignored: Array<{ path: string; kind: string }> } } }).__bmmLab.plan);
      eq(
        plan.ignored.map((i) => [i.path, i.kind]),
        [['h264_aac.flv', 'no-class-folder']],
        'the loose file is listed as ignored',
      );
      await page.getByRole('button', { name: 'Clear', exact: true }).click();
      await dropPaths(page, [join(FIX, 'crema-d')]);
      assert((await foundText(page)).includes('Found CREMA-D: 6 classes'), 'CREMA-D dropped');
      const s = await decode(page);
      eq([s.train, s.test, s.failures.length], [4, 4, 0], 'dropped CREMA-D decodes');
    });

    await test('every codec with one worker (FLV1, Xvid, HEVC, MPEG-4 part 2, MP2, AC-3, VP9, H.264): ffmpeg.wasm recovers after broken files', async () => {
      const one = await openHarness(browser, 'tiny', '&workers=1');
      try {
        await addFolder(one.page, codecs);
        eq(await one.page.getByTestId('dataset-counts').innerText({ timeout: STEP_MS }), '10 train / 1 test clips', 'clip counts');
        const s = await decode(one.page);
        const reasons = Object.fromEntries(s.failures.map((f) => [f.path.split('/').pop(), f.reason]));
        eq(Object.keys(reasons).sort(), ['0_not_media.mp4', '1_truncated.mp4', '3_no_audio.mp4'], 'failed files');
        eq(
          s.decoders,
          { 'ffmpeg+ffmpeg': 4, 'webcodecs+webcodecs': 2, 'ffmpeg+webcodecs': 1, 'webcodecs+ffmpeg': 1 },
          'FLV1, H.264-in-FLV, Xvid and MPEG-4/MP2 through ffmpeg.wasm; HEVC video and AC-3 audio in MP4 through ffmpeg.wasm next to WebCodecs',
        );
        eq(s.train + s.test, 8, 'decoded clips');
        eq(one.problems, [], 'problems');
      } finally {
        await one.page.close();
      }
    });

    await test('no page errors and no request outside the app', async () => {
      eq(problems, [], 'problems');
    });
    await page.close();
  } finally {
    await browser.close();
    server.close();
    rmSync(tmp, { recursive: true, force: true });
  }
}

suite.run(main);
