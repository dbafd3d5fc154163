/**
 * A checkpoint is plain, structured-clone-serialisable data (typed arrays allowed): weights by PyTorch name,
 * BatchNorm counters, the optimiser's state, the RNG state, the metrics so far, the method's own state, the config
 * and the dataset's identity. The browser stores it in IndexedDB; the CLI can write it as JSON with `checkpointToJson`.
 */
import type { TrainConfig } from './config';
import type { EpochMetrics } from './events';
import type { MethodState } from './methods/method';
import type { AdamState } from './optimizer';
import type { RngState } from './random';

export const CHECKPOINT_VERSION = 1;

export interface Checkpoint {
  version: typeof CHECKPOINT_VERSION;
  config: TrainConfig;
  dataset: { name: string; classNames: string[]; trainSize: number; testSize: number };
  /** Number of completed epochs. */
  epoch: number;
  weights: Record<string, Float32Array>;
  bnBatchesTracked: Record<string, number>;
  optimizer: AdamState;
  rng: RngState;
  metrics: EpochMetrics[];
  /** The method's state across epochs (AGM, PMR, G-Blending); absent when it has none (or an older checkpoint). */
  method?: MethodState;
}

/** Checks that a checkpoint fits a config and dataset; throws naming the first mismatch. */
export function checkCheckpoint(ckpt: Checkpoint, config: TrainConfig, dataset: { name: string; classNames: string[] }): void {
  if (!ckpt || ckpt.version !== CHECKPOINT_VERSION) throw new Error(`checkpoint version ${ckpt?.version} is not supported (expected ${CHECKPOINT_VERSION})`);
  for (const key of ['method', 'fusion', 'width', 'audioHeight', 'audioWidth', 'visualSize', 'frames'] as const) {
    if (ckpt.config[key] !== config[key]) throw new Error(`checkpoint was made with ${key} = ${String(ckpt.config[key])}, but the config has ${String(config[key])}`);
  }
  if (ckpt.method && ckpt.method.method !== config.method) throw new Error(`checkpoint holds the state of method ${ckpt.method.method}, but the config has ${config.method}`);
  if (ckpt.dataset.classNames.join('\u0000') !== dataset.classNames.join('\u0000')) {
    throw new Error(`checkpoint classes (${ckpt.dataset.classNames.join(', ')}) differ from the dataset's (${dataset.classNames.join(', ')})`);
  }
}

function encodeTyped(value: unknown): unknown {
  if (value instanceof Float32Array) return { $f32: Array.from(value) };
  if (Array.isArray(value)) return value.map(encodeTyped);
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, encodeTyped(v)]));
  return value;
}

function decodeTyped(value: unknown): unknown {
  if (value && typeof value === 'object' && !Array.isArray(value) && '$f32' in value) return Float32Array.from((value as { $f32: number[] }).$f32);
  if (Array.isArray(value)) return value.map(decodeTyped);
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, decodeTyped(v)]));
  return value;
}

/** JSON text of a checkpoint (typed arrays as tagged number lists). */
export function checkpointToJson(ckpt: Checkpoint): string {
  return JSON.stringify(encodeTyped(ckpt));
}

export function checkpointFromJson(text: string): Checkpoint {
  return decodeTyped(JSON.parse(text)) as Checkpoint;
}
