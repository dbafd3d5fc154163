/**
 * Which of a clip's stored frames become its T input frames (METHOD.md section 1): at random in time order for
 * training, evenly spaced for evaluation. Plain numbers, no tensors, so dataset code (packs) shares them.
 */
import type { Rng } from './random';

/** Indices of T frames among n for training: sorted random draws (without repetition when n >= T). */
export function trainingFrameIndices(n: number, t: number, rng: Rng): number[] {
  if (n >= t) return Array.from(rng.permutation(n).slice(0, t)).sort((a, b) => a - b);
  return Array.from({ length: t }, () => rng.int(n)).sort((a, b) => a - b);
}

/** Indices of T evenly spaced frames among n (round of linspace(0, n - 1, T)). */
export function evaluationFrameIndices(n: number, t: number): number[] {
  if (t === 1) return [Math.floor((n - 1) / 2)];
  return Array.from({ length: t }, (_, j) => Math.round((j * (n - 1)) / (t - 1)));
}
