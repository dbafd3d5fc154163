/** The CLI's words about the wasm backend's memory: before training, and after a step ran out of it. */
import type { TrainConfig } from '../core/config';
import { wasmMaxBatch } from '../worker/wasmMemory';

export { isOutOfMemory, WASM_LIMITS, wasmMaxBatch } from '../worker/wasmMemory';

/** A warning before training when the batch is larger than what was measured to fit on wasm; null otherwise. */
export function batchBeyondMeasured(config: TrainConfig): string | null {
  const max = wasmMaxBatch(config);
  if (max === null || config.batch <= max) return null;
  return (
    `--batch ${config.batch} is larger than the ${max} measured to fit in the WebAssembly backend's 4 GB at preset ${config.preset} ` +
    `(width ${config.width}); the first step will likely run out of memory: use --batch ${max} or smaller, a smaller preset, or --backend webgpu`
  );
}

/** What to do after running out of memory: the batch that fits, and the other ways out. */
export function memoryAdvice(config: TrainConfig, backend: string): string {
  const max = backend === 'wasm' ? wasmMaxBatch(config) : null;
  const half = Math.max(2, Math.floor(config.batch / 2));
  const batch = max !== null ? `the largest batch measured to fit at preset ${config.preset} (width ${config.width}) on wasm is ${max}: use --batch ${Math.min(max, config.batch - 1)}` : `use a smaller --batch (e.g. ${half})`;
  return `batch ${config.batch} does not fit in the ${backend} backend's memory${backend === 'wasm' ? ' (4 GB)' : ''}; ${batch}, or a smaller preset (fast), or --backend webgpu where a GPU is there`;
}
