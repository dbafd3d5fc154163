/**
 * Weights in and out of the lab (METHOD.md section 7).
 *
 * safetensors: PyTorch state_dict names of OGM-GE's AVClassifier, conv kernels OIHW (the lab's HWIO transposed by
 * [3, 2, 0, 1]), linear weights [out, in], BatchNorm running statistics, `num_batches_tracked` as an int64 scalar,
 * and `__metadata__` (all strings): format_version, class_names (JSON array), num_classes, fusion, method, preset,
 * width, modalities (JSON [first, second] kinds, modalities.ts), audio_shape (the first branch: JSON [C, H, W] for a
 * spectrogram, [C, T, H, W] for frames) and visual_shape (JSON [C, T, H, W]), PyTorch layouts. A file without
 * `modalities` (written before branch kinds) is a spectrogram and RGB or flow by visual_shape's channels.
 *
 * TF.js format: a `model.json` weights manifest plus one binary file, the lab's own layouts (HWIO, [in, out]).
 */
import * as tf from '@tensorflow/tfjs';
import type { FusionName, MethodName, PresetName } from './config';
import { FUSIONS } from './config';
import type { ModelOptions } from './model';
import { methodHasMmtm, modelParamSpecs } from './model';
import { KIND_CHANNELS, legacyPair, MODALITY_PAIRS, samePair, supportedPair, type ModalityKind, type ModalityPair } from './modalities';
import type { ParamSpec } from './params';
import { decodeSafetensors, encodeSafetensors, toFloat32Array, int64ToNumbers, type DecodedTensor, type NamedTensor } from './safetensors';

export const WEIGHTS_FORMAT_VERSION = '1';

export interface WeightsMetadata {
  classNames: string[];
  fusion: FusionName;
  method: MethodName | string;
  preset: PresetName | string;
  width: number;
  /** The first and second branch's kinds. */
  modalities: ModalityPair;
  /** The first branch's input, PyTorch layout: [C, H, W] (spectrogram) or [C, T, H, W] (frames). */
  audioShape: number[];
  /** PyTorch layout [C, T, H, W]. */
  visualShape: [number, number, number, number];
}

/** A parameter's shape in PyTorch layout. */
export function torchShape(spec: ParamSpec): number[] {
  if (spec.kind === 'conv') {
    const [kh, kw, i, o] = spec.shape;
    return [o, i, kh, kw];
  }
  if (spec.kind === 'linear-weight') return [spec.shape[1], spec.shape[0]];
  return spec.shape.slice();
}

/** Permutes row-major data of shape `shape` by `perm` (like numpy transpose), on the CPU. */
export function transposeData(data: Float32Array, shape: number[], perm: number[]): Float32Array {
  const rank = shape.length;
  const outShape = perm.map((p) => shape[p]);
  const inStrides = new Array<number>(rank);
  let s = 1;
  for (let d = rank - 1; d >= 0; d--) {
    inStrides[d] = s;
    s *= shape[d];
  }
  const out = new Float32Array(data.length);
  const strideOfOut = perm.map((p) => inStrides[p]);
  const idx = new Array<number>(rank).fill(0);
  for (let o = 0; o < out.length; o++) {
    let src = 0;
    for (let d = 0; d < rank; d++) src += idx[d] * strideOfOut[d];
    out[o] = data[src];
    for (let d = rank - 1; d >= 0; d--) {
      if (++idx[d] < outShape[d]) break;
      idx[d] = 0;
    }
  }
  return out;
}

function toTorchLayout(spec: ParamSpec, data: Float32Array): Float32Array {
  if (spec.kind === 'conv') return transposeData(data, spec.shape, [3, 2, 0, 1]);
  if (spec.kind === 'linear-weight') return transposeData(data, spec.shape, [1, 0]);
  return data;
}

function fromTorchLayout(spec: ParamSpec, data: Float32Array): Float32Array {
  if (spec.kind === 'conv') return transposeData(data, torchShape(spec), [2, 3, 1, 0]);
  if (spec.kind === 'linear-weight') return transposeData(data, torchShape(spec), [1, 0]);
  return data;
}

export function metadataStrings(meta: WeightsMetadata): Record<string, string> {
  return {
    format_version: WEIGHTS_FORMAT_VERSION,
    class_names: JSON.stringify(meta.classNames),
    num_classes: String(meta.classNames.length),
    fusion: meta.fusion,
    method: String(meta.method),
    preset: String(meta.preset),
    width: String(meta.width),
    modalities: JSON.stringify(meta.modalities),
    audio_shape: JSON.stringify(meta.audioShape),
    visual_shape: JSON.stringify(meta.visualShape),
  };
}

/** A branch's input shape in PyTorch layout for the config's sizes: [1, H, W] (spectrogram) or [C, T, S, S] (frames). */
export function branchInputShape(kind: ModalityKind, c: { audioHeight: number; audioWidth: number; frames: number; visualSize: number }): number[] {
  return kind === 'spectrogram' ? [1, c.audioHeight, c.audioWidth] : [KIND_CHANNELS[kind], c.frames, c.visualSize, c.visualSize];
}

/** Model options implied by the metadata (and its shapes). */
export function modelOptionsFromMetadata(meta: WeightsMetadata): ModelOptions {
  return { numClasses: meta.classNames.length, fusion: meta.fusion, width: meta.width, modalities: meta.modalities, ...(methodHasMmtm(String(meta.method)) ? { mmtm: true } : {}) };
}

/** Encodes the model's weights as safetensors bytes. */
export function exportSafetensors(specs: ParamSpec[], weights: Map<string, Float32Array>, bnBatchesTracked: Map<string, number>, meta: WeightsMetadata): Uint8Array {
  const tensors: NamedTensor[] = [];
  for (const spec of specs) {
    const data = weights.get(spec.name);
    if (!data) throw new Error(`export: no values for ${spec.name}`);
    tensors.push({ name: spec.name, dtype: 'F32', shape: torchShape(spec), data: toTorchLayout(spec, data) });
    if (spec.kind === 'bn-var') {
      const prefix = spec.name.slice(0, -'.running_var'.length);
      tensors.push({ name: `${prefix}.num_batches_tracked`, dtype: 'I64', shape: [], data: new BigInt64Array([BigInt(bnBatchesTracked.get(prefix) ?? 0)]) });
    }
  }
  return encodeSafetensors(tensors, metadataStrings(meta));
}

function parseJsonField<T>(meta: Record<string, string>, key: string, check: (v: unknown) => v is T, expected: string): T {
  const raw = meta[key];
  if (raw === undefined) throw new Error(`weights metadata has no "${key}" (expected ${expected})`);
  let v: unknown;
  try {
    v = JSON.parse(raw);
  } catch {
    throw new Error(`weights metadata "${key}" is not valid JSON: ${raw.slice(0, 80)}`);
  }
  if (!check(v)) throw new Error(`weights metadata "${key}" should be ${expected}, got ${raw.slice(0, 80)}`);
  return v;
}

const isIntArray =
  (n: number) =>
  (v: unknown): v is number[] =>
    Array.isArray(v) && v.length === n && v.every((x) => Number.isInteger(x) && x > 0);

/** Reads and checks the lab's metadata strings. */
export function parseWeightsMetadata(meta: Record<string, string>): WeightsMetadata {
  const classNames = parseJsonField(meta, 'class_names', (v): v is string[] => Array.isArray(v) && v.length >= 2 && v.every((x) => typeof x === 'string'), 'a JSON array of at least 2 class names');
  const fusion = meta.fusion as FusionName;
  if (!FUSIONS.includes(fusion)) throw new Error(`weights metadata "fusion" is "${meta.fusion}"; allowed values: ${FUSIONS.join(', ')}`);
  const width = Number(meta.width ?? '1');
  if (!(width > 0)) throw new Error(`weights metadata "width" should be a number > 0, got "${meta.width}"`);
  const visualShape = parseJsonField(meta, 'visual_shape', isIntArray(4), 'a JSON array [C, T, H, W]') as [number, number, number, number];
  const pairs = MODALITY_PAIRS.map((p) => JSON.stringify(p)).join(', ');
  const modalities =
    meta.modalities === undefined
      ? legacyPair(visualShape[0])
      : supportedPair(parseJsonField(meta, 'modalities', (v): v is unknown[] => Array.isArray(v), `one of ${pairs}`) as unknown[]);
  if (!modalities) throw new Error(`weights metadata "modalities" is ${meta.modalities}; the lab trains ${pairs}`);
  const first = modalities[0];
  const audioShape = parseJsonField(meta, 'audio_shape', isIntArray(first === 'spectrogram' ? 3 : 4), first === 'spectrogram' ? 'a JSON array [C, H, W]' : 'a JSON array [C, T, H, W]');
  for (const [key, shape, kind] of [['audio_shape', audioShape, first], ['visual_shape', visualShape, modalities[1]]] as const) {
    if (shape[0] !== KIND_CHANNELS[kind]) throw new Error(`weights metadata "${key}" has ${shape[0]} channels, but ${kind} has ${KIND_CHANNELS[kind]}`);
  }
  if (meta.num_classes !== undefined && Number(meta.num_classes) !== classNames.length) {
    throw new Error(`weights metadata says num_classes ${meta.num_classes} but lists ${classNames.length} class names`);
  }
  return { classNames, fusion, method: meta.method ?? 'unknown', preset: meta.preset ?? 'unknown', width, modalities, audioShape, visualShape };
}

export interface ImportedWeights {
  /** Values in the lab's layouts, by parameter name. */
  weights: Map<string, Float32Array>;
  bnBatchesTracked: Map<string, number>;
  metadata: Record<string, string>;
}

const FLOAT_DTYPES = new Set(['F32', 'F16', 'BF16', 'F64']);

/**
 * Checks decoded tensors against the model's specs and converts them to the lab's layouts. Throws naming the first
 * missing, unexpected, wrongly shaped or wrongly typed tensor.
 */
export function importTensors(specs: ParamSpec[], tensors: Map<string, DecodedTensor>, metadata: Record<string, string> = {}): ImportedWeights {
  const expected = new Set<string>();
  const weights = new Map<string, Float32Array>();
  const bnBatchesTracked = new Map<string, number>();
  for (const spec of specs) {
    expected.add(spec.name);
    const t = tensors.get(spec.name);
    const want = torchShape(spec);
    if (!t) throw new Error(`weights file has no tensor "${spec.name}" (expected shape [${want.join(', ')}])`);
    if (!FLOAT_DTYPES.has(t.dtype)) throw new Error(`tensor "${spec.name}" has dtype ${t.dtype}; expected a float type (F32, F16, BF16 or F64)`);
    if (t.shape.length !== want.length || t.shape.some((d, i) => d !== want[i])) {
      throw new Error(`tensor "${spec.name}" has shape [${t.shape.join(', ')}]; the model expects [${want.join(', ')}]`);
    }
    weights.set(spec.name, fromTorchLayout(spec, toFloat32Array(t)));
    if (spec.kind === 'bn-var') {
      const prefix = spec.name.slice(0, -'.running_var'.length);
      const name = `${prefix}.num_batches_tracked`;
      expected.add(name);
      const c = tensors.get(name);
      if (!c) throw new Error(`weights file has no tensor "${name}" (expected an int64 scalar)`);
      if (c.dtype !== 'I64' || c.shape.length !== 0) throw new Error(`tensor "${name}" should be an I64 scalar, got ${c.dtype} [${c.shape.join(', ')}]`);
      bnBatchesTracked.set(prefix, int64ToNumbers(c.data as BigInt64Array)[0]);
    }
  }
  for (const name of tensors.keys()) {
    if (!expected.has(name)) throw new Error(`weights file has an unexpected tensor "${name}" (not part of this model)`);
  }
  return { weights, bnBatchesTracked, metadata };
}

/** Decodes safetensors bytes for a model; with no model options given they come from the file's metadata. */
export function importSafetensors(bytes: Uint8Array | ArrayBuffer, options?: ModelOptions): ImportedWeights & { options: ModelOptions; meta: WeightsMetadata | null } {
  const { tensors, metadata } = decodeSafetensors(bytes);
  let meta: WeightsMetadata | null = null;
  if (metadata.class_names !== undefined || !options) meta = parseWeightsMetadata(metadata);
  const opts = options ?? modelOptionsFromMetadata(meta!);
  if (options && meta) {
    const fromFile = modelOptionsFromMetadata(meta);
    for (const key of ['numClasses', 'fusion', 'width'] as const) {
      if (fromFile[key] !== options[key]) throw new Error(`weights were saved with ${key} = ${String(fromFile[key])}, but the model has ${String(options[key])}`);
    }
    if (!samePair(fromFile.modalities, options.modalities)) {
      throw new Error(`weights were saved with modalities ${JSON.stringify(fromFile.modalities)}, but the model has ${JSON.stringify(options.modalities)}`);
    }
  }
  return { ...importTensors(modelParamSpecs(opts), tensors, metadata), options: opts, meta };
}

/** TF.js weights format: `model.json` (manifest + metadata) and `weights.bin`, the lab's own layouts. */
export async function exportTfjs(specs: ParamSpec[], weights: Map<string, Float32Array>, meta: WeightsMetadata): Promise<{ modelJson: string; weightsBin: Uint8Array }> {
  const named: Record<string, tf.Tensor> = {};
  for (const spec of specs) named[spec.name] = tf.tensor(weights.get(spec.name)!, spec.shape, 'float32');
  try {
    const { data, specs: wspecs } = await tf.io.encodeWeights(named);
    const modelJson = JSON.stringify(
      {
        format: 'bmm-lab-weights',
        generatedBy: 'bmm-lab',
        convertedBy: null,
        modelTopology: null,
        userDefinedMetadata: { ...metadataStrings(meta), layouts: 'conv kernels HWIO, linear weights [in, out]' },
        weightsManifest: [{ paths: ['weights.bin'], weights: wspecs }],
      },
      null,
      1,
    );
    return { modelJson, weightsBin: new Uint8Array(data) };
  } finally {
    tf.dispose(Object.values(named));
  }
}

/** Reads the TF.js format back (lab layouts). */
export async function importTfjs(modelJson: string, weightsBin: ArrayBuffer): Promise<Map<string, Float32Array>> {
  const manifest = JSON.parse(modelJson) as { weightsManifest: { weights: tf.io.WeightsManifestEntry[] }[] };
  const entries = manifest.weightsManifest.flatMap((g) => g.weights);
  const decoded = tf.io.decodeWeights(weightsBin, entries);
  const out = new Map<string, Float32Array>();
  for (const [name, t] of Object.entries(decoded)) {
    out.set(name, (await t.data()) as Float32Array);
    t.dispose();
  }
  return out;
}
