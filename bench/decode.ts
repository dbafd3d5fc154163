/**
 * Decoding throughput: the CLI's Node path, the page in Chromium, and bare native ffmpeg on the same machine.
 *
 *   npm run bench:decode -- [--preset fast] [--flv 24] [--mp4 8] [--no-browser]      (tsx bench/decode.ts)
 *
 * Generates, with the system ffmpeg into a temp dir, CREMA-D-like clips (FLV1 480x360 30 fps + MP3, 2.5 s; decoded
 * by ffmpeg.wasm in the page) and 10 s 640x360 H.264 + AAC MP4 clips (decoded by WebCodecs). Each set is decoded
 * - by the CLI's Node path (`bmm-lab train --data FOLDER`: src/data/node, no cache), with the system ffmpeg as many
 *   processes at once as the page has workers, and with ffmpeg.wasm in Node (the fallback without a system ffmpeg);
 * - by the page through the DatasetPanel (production build, the worker pool, cache cleared first), when Chromium
 *   starts (`--no-browser` skips it);
 * - by native ffmpeg doing only the extraction per clip (1 fps frames scaled to S x S as rgb24 + 22050 Hz mono
 *   f32le, no spectrogram), as many processes at once and one at a time.
 * Each decoder's first pass warms up (process caches, ffmpeg.wasm compile, worker start); the second is measured.
 * Prints a table and writes .bench/decode.json.
 */
import { spawn, spawnSync } from 'node:child_process';
import type { Server } from 'node:http';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { PRESET_SIZES, PRESETS, type PresetName } from '../src/core/config';
import { DEFAULT_MAX_FRAMES } from '../src/data/decode/memory';
import { defaultPoolSize } from '../src/data/decode/pool';
import { decodeFolder, type DecoderChoice } from '../src/data/node/decodeFolder';
import type { Browser } from 'playwright-core';
import { buildHarness, HARNESS_DIST, HARNESS_PATH, launchChromium, REPO, serveStatic } from './harness';

const FFMPEG = process.env.FFMPEG ?? 'ffmpeg';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
}

const preset = arg('preset', 'fast') as PresetName;
if (!(PRESETS as readonly string[]).includes(preset)) throw new Error(`--preset must be one of ${PRESETS.join(', ')}`);
const nFlv = Number(arg('flv', '24'));
const nMp4 = Number(arg('mp4', '8'));
const withBrowser = !process.argv.includes('--no-browser');
const S = PRESET_SIZES[preset].visualSize;

function ff(args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const p = spawn(FFMPEG, ['-hide_banner', '-loglevel', 'error', '-nostdin', '-y', ...args], { stdio: ['ignore', 'ignore', 'inherit'] });
    p.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`ffmpeg exited with ${code}: ${args.join(' ')}`))));
  });
}

async function inParallel<T>(items: T[], n: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(n, items.length) }, async () => {
      while (next < items.length) await fn(items[next++]);
    }),
  );
}

const EMOTIONS = ['ANG', 'HAP', 'NEU', 'SAD', 'FEA', 'DIS'];

/** CREMA-D-like: VideoFlash/ActorID_DFA_EMO_XX.flv, FLV1 480x360 30 fps + MP3 44.1 kHz mono, 2.5 s. */
async function makeFlvSet(dir: string, n: number): Promise<string[]> {
  const out = join(dir, 'crema-like', 'VideoFlash');
  mkdirSync(out, { recursive: true });
  const files = Array.from({ length: n }, (_, i) => join(out, `${1001 + Math.floor(i / 6)}_DFA_${EMOTIONS[i % 6]}_XX.flv`));
  await inParallel(files, cpus().length, (f) =>
    ff([
      ...['-f', 'lavfi', '-i', `testsrc2=size=480x360:rate=30:duration=2.5`],
      ...['-f', 'lavfi', '-i', `sine=frequency=${300 + 50 * (files.indexOf(f) % 6)}:sample_rate=44100:duration=2.5`],
      ...['-c:v', 'flv', '-q:v', '4', '-c:a', 'libmp3lame', '-ar', '44100', '-ac', '1', '-shortest', f],
    ]),
  );
  return files;
}

/** Class folders of 10 s 640x360 H.264 + AAC stereo MP4 clips. */
async function makeMp4Set(dir: string, n: number): Promise<string[]> {
  const files = Array.from({ length: n }, (_, i) => join(dir, 'mp4-10s', i % 2 ? 'b' : 'a', `clip${i}.mp4`));
  for (const f of files) mkdirSync(join(f, '..'), { recursive: true });
  await inParallel(files, cpus().length, (f) =>
    ff([
      ...['-f', 'lavfi', '-i', `testsrc2=size=640x360:rate=30:duration=10`],
      ...['-f', 'lavfi', '-i', `sine=frequency=440:sample_rate=44100:duration=10`],
      ...['-c:v', 'libx264', '-preset', 'veryfast', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-ac', '2', '-shortest', f],
    ]),
  );
  return files;
}

/** Native ffmpeg: the same extraction per clip, `parallel` processes at a time; clips/s. */
async function nativeRate(files: string[], parallel: number): Promise<number> {
  const t0 = performance.now();
  await inParallel(files, parallel, (f) =>
    ff([
      ...['-i', f],
      ...['-map', '0:v:0', '-vf', `select='isnan(prev_selected_t)+gte(t-prev_selected_t\\,1)',scale=${S}:${S}:flags=area`],
      ...['-fps_mode', 'passthrough', '-pix_fmt', 'rgb24', '-f', 'rawvideo', '/dev/null'],
      ...['-map', '0:a:0', '-t', '3.1', '-ac', '1', '-ar', '22050', '-f', 'f32le', '/dev/null'],
    ]),
  );
  return files.length / ((performance.now() - t0) / 1000);
}

interface BrowserRun {
  clipsPerSecond: number;
  seconds: number;
  decoders: Record<string, number>;
  failures: number;
  poolSize: number;
}

/** The CLI's Node path on a folder, no cache: clips/s of the second of two passes. */
async function nodeRate(folder: string, expected: number, decoder: DecoderChoice, jobs: number): Promise<number> {
  let rate = 0;
  for (let pass = 0; pass < 2; pass++) {
    const { outcome } = await decodeFolder(folder, { preset, decoder, jobs, cacheDir: null });
    if (outcome.decoded !== expected) throw new Error(`Node (${decoder}): expected ${expected} clips decoded, got ${outcome.decoded} (${outcome.failures.map((f) => `${f.path}: ${f.reason}`).join('; ')})`);
    rate = outcome.decoded / outcome.seconds;
  }
  return rate;
}

interface Row {
  set: string;
  clips: number;
  node: number;
  nodeWasm: number;
  browser: BrowserRun | null;
  nativeParallel: number;
  native1: number;
}

const rate = (x: number | null | undefined) => (x === null || x === undefined ? 'n/a' : `${x.toFixed(2)} clips/s`);

/** Chromium on the decoding harness, or the reason it cannot run here. */
async function openBrowser(): Promise<{ browser: Browser; server: Server } | string> {
  if (!withBrowser) return 'skipped (--no-browser)';
  try {
    buildHarness();
    const server = await serveStatic(HARNESS_DIST, 4176);
    try {
      return { browser: await launchChromium(), server };
    } catch (e) {
      server.close();
      throw e;
    }
  } catch (e) {
    return `Chromium could not run (${e instanceof Error ? e.message.split('\n')[0] : String(e)})`;
  }
}

async function main(): Promise<void> {
  const ffv = spawnSync(FFMPEG, ['-version'], { encoding: 'utf8' });
  if (ffv.status !== 0) throw new Error('ffmpeg not found (apt-get install ffmpeg)');
  const tmp = mkdtempSync(join(tmpdir(), 'bmm-decode-bench-'));
  console.log(`generating ${nFlv} FLV and ${nMp4} MP4 clips in ${tmp} ...`);
  const [flv, mp4] = await Promise.all([makeFlvSet(tmp, nFlv), makeMp4Set(tmp, nMp4)]);
  const sets = [
    ['CREMA-D-like FLV 480x360 2.5 s', flv, join(tmp, 'crema-like')],
    ['H.264 MP4 640x360 10 s', mp4, join(tmp, 'mp4-10s')],
  ] as const;
  const opened = await openBrowser();
  const browserNote = typeof opened === 'string' ? opened : null;
  const rows: Row[] = [];
  // As many decoders at once as the page has workers (its navigator.hardwareConcurrency when Chromium runs).
  let poolSize = defaultPoolSize(cpus().length);
  try {
    let runBrowser: ((folder: string, expected: number) => Promise<BrowserRun>) | null = null;
    if (typeof opened !== 'string') {
      const page = await opened.browser.newPage();
      page.setDefaultTimeout(600_000);
      await page.goto(`http://127.0.0.1:4176${HARNESS_PATH}?test=1&preset=${preset}`);
      poolSize = defaultPoolSize(await page.evaluate(() => navigator.hardwareConcurrency));
      runBrowser = async (folder, expected) => {
        await page.getByRole('button', { name: 'Clear decode cache' }).click();
        await page.getByText('decode cache cleared').waitFor();
        if (await page.getByRole('button', { name: 'Clear', exact: true }).count()) await page.getByRole('button', { name: 'Clear', exact: true }).click();
        await page.getByLabel('Add dataset folder').setInputFiles(folder);
        await page.getByTestId('dataset-found').waitFor();
        await page.evaluate(() => delete window.__bmmLab?.decoded);
        await page.getByRole('button', { name: 'Decode', exact: true }).click();
        await page.waitForFunction(() => window.__bmmLab?.decoded !== undefined, null, { timeout: 600_000 });
        const s = await page.evaluate(() => window.__bmmLab!.decoded!);
        if (s.decoded + s.failures.length !== expected) throw new Error(`expected ${expected} clips decoded, got ${s.decoded} (+${s.failures.length} failed)`);
        return { clipsPerSecond: s.decoded / s.seconds, seconds: s.seconds, decoders: s.decoders, failures: s.failures.length, poolSize };
      };
    }
    for (const [set, files, folder] of sets) {
      const node = await nodeRate(folder, files.length, 'ffmpeg', poolSize);
      const nodeWasm = await nodeRate(folder, files.length, 'wasm', 1);
      let browser: BrowserRun | null = null;
      if (runBrowser) {
        await runBrowser(folder, files.length);
        browser = await runBrowser(folder, files.length);
      }
      const nativeParallel = await nativeRate(files, poolSize);
      const native1 = await nativeRate(files, 1);
      console.log(`${set}: Node ${node.toFixed(2)} clips/s, Node ffmpeg.wasm ${nodeWasm.toFixed(2)} clips/s, Chromium ${rate(browser?.clipsPerSecond)}`);
      rows.push({ set, clips: files.length, node, nodeWasm, browser, nativeParallel, native1 });
    }
  } finally {
    if (typeof opened !== 'string') {
      await opened.browser.close();
      opened.server.close();
    }
    rmSync(tmp, { recursive: true, force: true });
  }

  const n = poolSize;
  const head = ['set', 'clips', `Node, system ffmpeg (${n} proc)`, 'Node, ffmpeg.wasm (1)', `Chromium (${n} workers)`, 'page decoders', `bare ffmpeg (${n} proc)`, 'bare ffmpeg (1 proc)', 'Node / bare'];
  const body = rows.map((r) => [
    r.set,
    String(r.clips),
    rate(r.node),
    rate(r.nodeWasm),
    rate(r.browser?.clipsPerSecond),
    r.browser ? Object.keys(r.browser.decoders).join(', ') : 'n/a',
    rate(r.nativeParallel),
    rate(r.native1),
    `${(r.node / r.nativeParallel).toFixed(2)}x`,
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i])).join('  ');
  console.log(`\npreset ${preset}: frames ${S}x${S}, at most ${DEFAULT_MAX_FRAMES[preset]} per clip, audio ${PRESET_SIZES[preset].audioHeight}x${PRESET_SIZES[preset].audioWidth}; ${cpus().length} CPUs`);
  if (browserNote) console.log(`Chromium: ${browserNote}`);
  console.log(line(head));
  for (const b of body) console.log(line(b));
  const report = {
    date: new Date().toISOString(),
    preset,
    frameSize: S,
    maxFrames: DEFAULT_MAX_FRAMES[preset],
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? '',
    ffmpeg: ffv.stdout.split('\n')[0],
    chromium: browserNote ?? 'ran',
    rows: rows.map((r) => ({
      set: r.set,
      clips: r.clips,
      nodeClipsPerSecond: r.node,
      nodeProcesses: n,
      nodeWasmClipsPerSecond: r.nodeWasm,
      chromiumClipsPerSecond: r.browser?.clipsPerSecond ?? null,
      chromiumWorkers: r.browser ? r.browser.poolSize : null,
      chromiumDecoders: r.browser?.decoders ?? null,
      nativeClipsPerSecond: r.nativeParallel,
      nativeProcesses: n,
      nativeSingleProcessClipsPerSecond: r.native1,
      ratio: r.browser ? r.browser.clipsPerSecond / r.nativeParallel : null,
      nodeRatio: r.node / r.nativeParallel,
    })),
  };
  mkdirSync(join(REPO, '.bench'), { recursive: true });
  writeFileSync(join(REPO, '.bench', 'decode.json'), JSON.stringify(report, null, 2) + '\n');
  console.log(`\nwrote .bench/decode.json`);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : String(err));
  process.exit(1);
});
