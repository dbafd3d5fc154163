/**
 * How large a training batch fits in the WebAssembly backend's memory (32-bit: at most 4 GB), per preset, as
 * measured by scripts/wasm-batch-limit.ts (the heap after one training step at two batch sizes, a line through
 * them, then steps up or down to the largest batch that runs). Used to warn before training and to say what fits
 * when a step runs out of memory, in the CLI (src/cli/memoryLimits.ts) and in the page (TrainHost).
 */
import { PRESET_SIZES, type PresetName, type TrainConfig } from '../core/config';
import { microBatchRanges } from '../core/trainStep';

export interface MeasuredLimit {
  /** The preset's width multiplier and the frames per clip (T) the batch was measured at. */
  width: number;
  frames: number;
  /** Bytes the wasm heap holds after a step: base + perClip x batch. */
  baseBytes: number;
  perClipBytes: number;
  /** The largest batch whose step ran (the line's prediction, checked). */
  maxBatch: number;
}

/** The wasm backend's memory limit. */
export const WASM_MEMORY_BYTES = 4 * 1024 ** 3;

/**
 * Measured in Node 20 with tfjs-backend-wasm 4.22 (1 thread) by scripts/wasm-batch-limit.ts: one training step per
 * process at the preset's width, sizes and frames; `maxBatch` ran and maxBatch + 1 did not (paper: 9 ran with a
 * 4.20 GB heap, 10 to 12 ran out; fast: 172 ran, 173 did not; tiny: 4243 ran, 4244 did not). The line goes through the smallest batch's heap and
 * the largest's; other widths and sizes scale it (an estimate, not measured).
 */
export const WASM_LIMITS: Partial<Record<PresetName, MeasuredLimit>> = {
  paper: { width: 1, frames: 1, baseBytes: 996905546, perClipBytes: 356038363, maxBatch: 9 },
  fast: { width: 0.25, frames: 1, baseBytes: 55473680, perClipBytes: 24647839, maxBatch: 172 },
  tiny: { width: 0.125, frames: 1, baseBytes: 22656214, perClipBytes: 1006893, maxBatch: 4243 },
};

/**
 * True for the session's out-of-memory failure, a raw allocation failure, or the wasm module's bare `Aborted()`
 * (what its malloc does when the heap cannot grow any further).
 */
export function isOutOfMemory(message: string): boolean {
  return /ran out of memory|out of memory|Maximum memory size|Array buffer allocation failed|memory access out of bounds|OOM|\bAborted\(\)/i.test(message);
}

/**
 * The largest batch expected to fit on wasm for this config: the measured line of its preset, scaled by width
 * (activations grow with the channel count) and by frames per clip; null when the preset was not measured.
 */
export function wasmMaxBatch(config: Pick<TrainConfig, 'preset' | 'width' | 'frames' | 'visualSize' | 'audioHeight' | 'audioWidth'>): number | null {
  const m = WASM_LIMITS[config.preset];
  if (!m) return null;
  const p = PRESET_SIZES[config.preset];
  const sizeScale =
    (config.width / m.width) *
    ((config.frames * config.visualSize ** 2 + config.audioHeight * config.audioWidth) / (m.frames * p.visualSize ** 2 + p.audioHeight * p.audioWidth));
  const perClip = m.perClipBytes * sizeScale;
  const atPreset = config.width === m.width && sizeScale === config.width / m.width;
  const fit = Math.floor((WASM_MEMORY_BYTES - m.baseBytes) / perClip);
  return Math.max(1, atPreset ? Math.min(fit, m.maxBatch) : fit);
}

/** The most clips one forward and backward pass holds: the batch, or its largest micro-batch (`microBatch`). */
export function clipsInMemory(config: Pick<TrainConfig, 'batch' | 'microBatch'>): number {
  return Math.max(...microBatchRanges(config.batch, config.microBatch).map(([a, b]) => b - a));
}

/** The micro-batch size that keeps every piece of `batch` within `max` clips (a last piece of one joins the one before). */
export function fittingMicroBatch(batch: number, max: number): number {
  for (let m = Math.min(max, batch); m >= 2; m--) if (clipsInMemory({ batch, microBatch: m }) <= max) return m;
  return 2;
}

/**
 * The page's words when a step ran out of WebAssembly memory: the batch that fits at the preset and what to change.
 * (A run continues with its own config, so the way on is a new run with a smaller batch.)
 */
export function pageMemoryAdvice(config: TrainConfig): string {
  const max = wasmMaxBatch(config);
  const fits = max !== null ? `the largest batch measured to fit at preset ${config.preset} (width ${config.width}) is ${max}` : 'a smaller batch fits';
  const clips = clipsInMemory(config);
  const micro = max !== null && max >= 2 ? ` or set Micro-batch to ${fittingMicroBatch(config.batch, Math.min(max, clips - 1))} (the same batch, its gradients accumulated; BatchNorm statistics then per micro-batch)` : '';
  const what = clips < config.batch ? `A micro-batch of ${clips} clips (batch ${config.batch})` : `Batch ${config.batch}`;
  return (
    `${what} does not fit in WebAssembly's 4 GB: ${fits}. Set Batch to ${max !== null ? Math.min(max, clips - 1) : Math.max(2, Math.floor(clips / 2))} ` +
    `or lower${micro} (or pick the fast preset, or use a browser with WebGPU) and train again; this run keeps its last checkpoint`
  );
}
