/**
 * A second synthetic audio-visual set, built differently from the demo (`demo.ts`), for the B-MM study: class
 * c = (k, s) with k = floor(c / 2) and s = c mod 2.
 * - Audio counts: k + 1 short broadband pulses across the clip, under noise. A strong, quick cue for k, and
 *   nothing about s.
 * - Visual places: a soft bright disk in the left (s = 0) or right (s = 1) half of the frame, at a random height
 *   and size, under low-frequency blotches of similar contrast. The only cue for s, and a slower one.
 * So audio alone reaches about 1 / 2 of the classes, visual alone about 1 / K, and only both together solve it.
 */
import type { Dataset } from '../core/dataset';
import { Rng } from '../core/random';
import { syntheticDataset, type DemoOptions } from './demo';

const GRID = 8;

function pulseSpectrogram(k: number, o: DemoOptions, rng: Rng): Float32Array {
  const H = o.audioHeight;
  const W = o.audioWidth;
  const out = new Float32Array(H * W);
  for (let i = 0; i < out.length; i++) out[i] = -4 + 1.2 * o.difficulty * rng.normal();
  const pulses = k + 1;
  const width = Math.max(1, Math.round(W / 16));
  const gap = W / (pulses + 1);
  const jitter = Math.max(1, Math.floor(gap / 4));
  for (let p = 0; p < pulses; p++) {
    const x0 = Math.max(0, Math.min(W - width, Math.round(gap * (p + 1)) + rng.int(2 * jitter + 1) - jitter));
    const lo = Math.floor(H * 0.1 * rng.uniform());
    for (let y = lo; y < H; y++) for (let x = x0; x < x0 + width; x++) out[y * W + x] += 3;
  }
  return out;
}

function diskFrames(s: number, o: DemoOptions, rng: Rng): Uint8Array[] {
  const S = o.frameSize;
  const frames: Uint8Array[] = [];
  const radius = S * (0.12 + 0.08 * rng.uniform());
  const cx = S * (s === 0 ? 0.2 + 0.15 * rng.uniform() : 0.65 + 0.15 * rng.uniform());
  const cy = S * (0.25 + 0.5 * rng.uniform());
  const contrast = 40 / Math.sqrt(o.difficulty);
  const cell = S / GRID;
  for (let f = 0; f < o.frames; f++) {
    const blotch = new Float32Array((GRID + 1) * (GRID + 1));
    for (let i = 0; i < blotch.length; i++) blotch[i] = 70 * o.difficulty * (rng.uniform() - 0.5);
    const dx = (rng.uniform() - 0.5) * 0.05 * S;
    const img = new Uint8Array(S * S * 3);
    for (let y = 0; y < S; y++) {
      for (let x = 0; x < S; x++) {
        // Bilinear blotches: smooth noise at the disk's scale, so the disk is found by its shape, not one pixel.
        const gx = x / cell;
        const gy = y / cell;
        const ix = Math.min(GRID - 1, Math.floor(gx));
        const iy = Math.min(GRID - 1, Math.floor(gy));
        const fx = gx - ix;
        const fy = gy - iy;
        const at = (a: number, b: number) => blotch[a * (GRID + 1) + b];
        const noise = (1 - fy) * ((1 - fx) * at(iy, ix) + fx * at(iy, ix + 1)) + fy * ((1 - fx) * at(iy + 1, ix) + fx * at(iy + 1, ix + 1));
        const d = Math.hypot(x - cx - dx, y - cy) / radius;
        const disk = d < 1 ? contrast * (1 - d * d) : 0;
        const v = 120 + disk + noise;
        const base = (y * S + x) * 3;
        for (let ch = 0; ch < 3; ch++) img[base + ch] = v < 0 ? 0 : v > 255 ? 255 : v;
      }
    }
    frames.push(img);
  }
  return frames;
}

/** Class names: "1 pulse, left" style. */
export function pulsesClassNames(numClasses: number): string[] {
  return Array.from({ length: numClasses }, (_, c) => `${Math.floor(c / 2) + 1}-pulse-${c % 2 === 0 ? 'left' : 'right'}`);
}

/** Generates the pulses set from demo-style options; the same options give the same bytes. */
export function makePulsesDataset(o: DemoOptions): Dataset {
  const rng = new Rng(o.seed ^ 0x9e3779b9);
  return syntheticDataset(o, 'pulses', pulsesClassNames(o.numClasses), (c) => ({
    spectrogram: pulseSpectrogram(Math.floor(c / 2), o, rng),
    frames: diskFrames(c % 2, o, rng),
  }));
}
