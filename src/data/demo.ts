/**
 * The built-in synthetic audio-visual dataset, generated from a seed in a fraction of a second, no files.
 *
 * Classes come in pairs: class c belongs to group g = floor(c / 2) and has parity q = c mod 2.
 * - Audio is a strong but incomplete cue: a loud tone band whose frequency names the group (learnt within two
 *   epochs), and only a very faint second band for the parity. Audio alone generalises to about the group
 *   (~50 % test with 6 classes), yet it memorises the parity of the training clips from their noise.
 * - Visual is complete but slower: a tint whose hue names the group, and a patch of stripes whose orientation gives
 *   the parity (horizontal for even classes, vertical for odd), at a random place and scale, under blocky noise
 *   and random brightness.
 * Plain concat training (fast preset) lets audio dominate at first (rho near 2); on most seeds the visual branch
 * still learns the stripes within a few epochs, so the fused model ends high. Harder visual cues (fainter stripes)
 * leave every method, B-MM included, at the group level within 15 epochs: docs/METHOD.md section 8.
 * 40 test clips per class at the fast preset keep the epoch-to-epoch noise of test accuracy small.
 * `difficulty` scales the noise of both cues (1 = default).
 */
import { ArrayClipStore, type Dataset } from '../core/dataset';
import type { PresetName } from '../core/config';
import { AUDIO_RGB } from '../core/modalities';
import { Rng } from '../core/random';

export interface DemoOptions {
  numClasses: number;
  trainPerClass: number;
  testPerClass: number;
  audioHeight: number;
  audioWidth: number;
  frameSize: number;
  /** Frames stored per clip (the engine samples T of them). */
  frames: number;
  difficulty: number;
  seed: number;
}

export const DEFAULT_DEMO_OPTIONS: DemoOptions = {
  numClasses: 6,
  trainPerClass: 60,
  testPerClass: 40,
  audioHeight: 129,
  audioWidth: 94,
  frameSize: 112,
  frames: 2,
  difficulty: 1,
  seed: 0,
};

const LETTERS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const NOISE_GRID = 16;

/** Class names of the demo: "tone 1 / stripes -" style names that say what tells them apart. */
export function demoClassNames(numClasses: number): string[] {
  return Array.from({ length: numClasses }, (_, c) => `${LETTERS[Math.floor(c / 2) % 26]}${c % 2 === 0 ? '-horizontal' : '-vertical'}`);
}

function checkOptions(o: DemoOptions): void {
  const ints: [keyof DemoOptions, number][] = [
    ['numClasses', 2],
    ['trainPerClass', 1],
    ['testPerClass', 1],
    ['audioHeight', 8],
    ['audioWidth', 8],
    ['frameSize', 8],
    ['frames', 1],
  ];
  for (const [k, min] of ints) {
    const v = o[k];
    if (!Number.isInteger(v) || v < min) throw new Error(`demo dataset: ${k} must be an integer >= ${min}, got ${v}`);
  }
  if (!(o.difficulty > 0)) throw new Error(`demo dataset: difficulty must be > 0, got ${o.difficulty}`);
}

/** Spectrogram [H, W] for a clip of class c. */
function demoSpectrogram(c: number, numGroups: number, o: DemoOptions, rng: Rng): Float32Array {
  const H = o.audioHeight;
  const W = o.audioWidth;
  const out = new Float32Array(H * W);
  const noise = 1.0 * o.difficulty;
  for (let i = 0; i < out.length; i++) out[i] = -4 + noise * rng.normal();
  const g = Math.floor(c / 2);
  const q = c % 2;
  // Group tone: rows spread over the lower 70 % of the band, 2 rows thick.
  const rowOf = (k: number, n: number) => Math.floor(((k + 0.5) / n) * 0.7 * H);
  const toneRow = rowOf(g, numGroups);
  const start = rng.int(Math.floor(W / 3));
  const len = Math.floor(W / 2) + rng.int(Math.ceil(W / 2) - start);
  for (let y = Math.max(0, toneRow - 1); y <= Math.min(H - 1, toneRow + 1); y++) {
    for (let x = start; x < Math.min(W, start + len); x++) out[y * W + x] += 4;
  }
  // Parity: a faint band high in the spectrum, at one of two rows.
  const parityRow = Math.floor((0.8 + 0.1 * q) * H);
  const faint = 0.5 / o.difficulty;
  for (let x = 0; x < W; x++) out[Math.min(H - 1, parityRow) * W + x] += faint;
  return out;
}

/** Frames [S, S, 3] uint8 for a clip of class c. */
function demoFrames(c: number, numGroups: number, o: DemoOptions, rng: Rng): Uint8Array[] {
  const S = o.frameSize;
  const g = Math.floor(c / 2);
  const q = c % 2;
  const hue = (2 * Math.PI * g) / Math.max(1, numGroups);
  const tint = [Math.cos(hue), Math.cos(hue - (2 * Math.PI) / 3), Math.cos(hue + (2 * Math.PI) / 3)];
  const size = Math.max(4, Math.floor(S * (0.35 + 0.3 * rng.uniform())));
  const top = rng.int(S - size + 1);
  const left = rng.int(S - size + 1);
  const period = Math.max(3, Math.round(S * (0.06 + 0.06 * rng.uniform())));
  const brightness = 90 + 60 * rng.uniform();
  const contrast = 24 / Math.sqrt(o.difficulty);
  const noise = 100 * o.difficulty;
  // Noise lives on a 16 x 16 grid of cells whatever the frame size, so the cue is as hard at 224 px as at 32 px.
  const cell = Math.max(1, Math.round(S / NOISE_GRID));
  const cells = Math.ceil(S / cell);
  const frames: Uint8Array[] = [];
  for (let f = 0; f < o.frames; f++) {
    const phase = rng.uniform() * period;
    const grid = new Float32Array(cells * cells * 3);
    for (let i = 0; i < grid.length; i++) grid[i] = noise * (rng.uniform() - 0.5);
    // Square wave along the stripes' axis, one value per row (horizontal stripes) or column (vertical).
    const wave = new Float64Array(S);
    for (let i = 0; i < S; i++) wave[i] = Math.sin((2 * Math.PI * (i + phase)) / period) > 0 ? contrast : -contrast;
    const img = new Uint8Array(S * S * 3);
    for (let y = 0; y < S; y++) {
      for (let x = 0; x < S; x++) {
        const stripe = y >= top && y < top + size && x >= left && x < left + size ? wave[q === 0 ? y : x] : 0;
        const base = (y * S + x) * 3;
        const g = (Math.floor(y / cell) * cells + Math.floor(x / cell)) * 3;
        for (let ch = 0; ch < 3; ch++) {
          const v = brightness + stripe + 10 * tint[ch] + grid[g + ch];
          img[base + ch] = v < 0 ? 0 : v > 255 ? 255 : v;
        }
      }
    }
    frames.push(img);
  }
  return frames;
}

/** Generates the demo dataset; the same options give the same bytes. */
export function makeDemoDataset(options: Partial<DemoOptions> = {}): Dataset {
  const o: DemoOptions = { ...DEFAULT_DEMO_OPTIONS, ...options };
  const rng = new Rng(o.seed ^ 0x5eed);
  const numGroups = Math.ceil(o.numClasses / 2);
  return syntheticDataset(o, 'demo', demoClassNames(o.numClasses), (c) => ({
    spectrogram: demoSpectrogram(c, numGroups, o, rng),
    frames: demoFrames(c, numGroups, o, rng),
  }));
}

/**
 * A synthetic dataset from a clip generator: clip i of a split has class i mod C, train split first (the
 * generators draw from one seeded stream, so the order of calls fixes the bytes). Shared by the demo and the
 * study's second set (`pulses.ts`).
 */
export function syntheticDataset(
  o: DemoOptions,
  name: string,
  classNames: string[],
  clip: (c: number) => { spectrogram: Float32Array; frames: Uint8Array[] },
): Dataset {
  checkOptions(o);
  const split = (perClass: number) => {
    const n = perClass * o.numClasses;
    const labels = new Int32Array(n);
    const spectrograms: Float32Array[] = [];
    const frames: Uint8Array[][] = [];
    for (let i = 0; i < n; i++) {
      const c = i % o.numClasses;
      labels[i] = c;
      const made = clip(c);
      spectrograms.push(made.spectrogram);
      frames.push(made.frames);
    }
    return new ArrayClipStore(labels, { spectrograms, rgb: frames });
  };
  return {
    name,
    classNames,
    audioHeight: o.audioHeight,
    audioWidth: o.audioWidth,
    frameSize: o.frameSize,
    modalities: AUDIO_RGB,
    train: split(o.trainPerClass),
    test: split(o.testPerClass),
  };
}

/** Clips per class for each preset: tiny keeps tests and CI quick, paper gives smoother curves. */
export const DEMO_CLIPS_PER_PRESET: Record<PresetName, { trainPerClass: number; testPerClass: number }> = {
  tiny: { trainPerClass: 16, testPerClass: 6 },
  fast: { trainPerClass: 60, testPerClass: 40 },
  paper: { trainPerClass: 100, testPerClass: 25 },
  'kinetics-sounds': { trainPerClass: 100, testPerClass: 25 },
};

/** Demo options matching a config's input sizes (the demo is generated at the size the model reads). */
export function demoOptionsFor(
  config: { preset: PresetName; audioHeight: number; audioWidth: number; visualSize: number; frames: number; seed: number },
  overrides: Partial<DemoOptions> = {},
): Partial<DemoOptions> {
  return {
    ...DEMO_CLIPS_PER_PRESET[config.preset],
    audioHeight: config.audioHeight,
    audioWidth: config.audioWidth,
    frameSize: config.visualSize,
    frames: Math.max(2, config.frames),
    seed: config.seed,
    ...overrides,
  };
}
