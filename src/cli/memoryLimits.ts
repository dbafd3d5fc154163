/** The CLI's words about the wasm backend's memory: before training, and after a step ran out of it. */
import type { TrainConfig } from '../core/config';
import { clipsInMemory, fittingMicroBatch, wasmMaxBatch } from '../worker/wasmMemory';

export { isOutOfMemory, WASM_LIMITS, wasmMaxBatch } from '../worker/wasmMemory';

/** A warning before training when a step would hold more clips than measured to fit on wasm; null otherwise. */
export function batchBeyondMeasured(config: TrainConfig): string | null {
  const max = wasmMaxBatch(config);
  const clips = clipsInMemory(config);
  if (max === null || clips <= max) return null;
  const held = clips < config.batch ? `--microBatch ${config.microBatch} (pieces of up to ${clips} clips)` : `--batch ${config.batch}`;
  return (
    `${held} is larger than the ${max} measured to fit in the WebAssembly backend's 4 GB at preset ${config.preset} ` +
    `(width ${config.width}); the first step will likely run out of memory: use --batch ${max} or smaller, --microBatch ${fittingMicroBatch(config.batch, max)} ` +
    `(the same batch, gradients accumulated over micro-batches; BatchNorm statistics then per micro-batch), a smaller preset, or --backend webgpu`
  );
}

/** What to do after running out of memory: the batch that fits, and the other ways out. */
export function memoryAdvice(config: TrainConfig, backend: string): string {
  const max = backend === 'wasm' ? wasmMaxBatch(config) : null;
  const clips = clipsInMemory(config);
  const half = Math.max(2, Math.floor(clips / 2));
  const batch =
    max !== null
      ? `the largest batch measured to fit at preset ${config.preset} (width ${config.width}) on wasm is ${max}: use --batch ${Math.min(max, clips - 1)}, or --microBatch ${fittingMicroBatch(config.batch, Math.min(max, clips - 1))} to keep batch ${config.batch} (gradients accumulated; BatchNorm statistics per micro-batch)`
      : `use a smaller --batch (e.g. ${half}) or --microBatch ${half}`;
  return `${clips < config.batch ? `micro-batches of ${clips} clips` : `batch ${config.batch}`} do${clips < config.batch ? '' : 'es'} not fit in the ${backend} backend's memory${backend === 'wasm' ? ' (4 GB)' : ''}; ${batch}, or a smaller preset (fast), or --backend webgpu where a GPU is there`;
}
