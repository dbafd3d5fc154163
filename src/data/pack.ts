/**
 * Dataset packs: a decoded dataset as files, so data prepared elsewhere trains headless (`bmm-lab train --data`)
 * and the PyTorch side (`python/bmm_lab/pack.py`) reads the same clips. The contract:
 * - a folder with `pack.json` and the shard files it lists:
 *   `{"format":"bmm-lab-pack","version":1,"class_names":[…],"branches":["spectrogram","rgb"],
 *     "shapes":{"spectrogram":[1,H,W],"rgb":[T,S,S,3]},"shards":[{"file":"part-00000.safetensors","clips":N},…]}`;
 * - `branches`: the first and second modality (`spectrogram`, `rgb` or `flow`); the first trains `audio_net`, the
 *   second `visual_net`; one of `["spectrogram","rgb"]`, `["spectrogram","flow"]`, `["rgb","flow"]`
 *   (modalities.ts); the two frame branches of `["rgb","flow"]` share T and S;
 * - each shard: one tensor per branch, `spectrogram` F32 `[n,1,H,W]` (log-magnitude, PyTorch layout), `rgb` U8
 *   `[n,T,S,S,3]`, `flow` U8 `[n,T,S,S,2]` (time order, channels last, 0-255, flow 128 = no motion), `label` I64
 *   `[n]`, `split` U8 `[n]` (0 train, 1 test), optional `__metadata__.clip_ids` (a JSON array of strings);
 * - a split's clip order is shard order, then row order (the trace's `indices` are positions in that order).
 * Reading checks everything and names the file and the field of the first problem. Pure TypeScript over bytes:
 * the caller reads the files (Node's fs in the CLI, File objects in the page).
 */
import { frameBytes as storedFrameBytes, frameBytesByKind, type ClipStore, type Dataset } from '../core/dataset';
import { frameKinds, hasSpectrogram, KIND_CHANNELS, MODALITY_KINDS, MODALITY_PAIRS, supportedPair, type FrameKind, type ModalityKind, type ModalityPair } from '../core/modalities';
import { decodeSafetensors, encodeSafetensors, int64ToNumbers, SafetensorsError, type DecodedTensor, type NamedTensor } from '../core/safetensors';
import { evaluationFrameIndices } from '../core/frameIndices';

export const PACK_FORMAT = 'bmm-lab-pack';
export const PACK_VERSION = 1;
export const PACK_BRANCHES = MODALITY_KINDS;
export type PackBranch = ModalityKind;

export interface PackManifest {
  format: typeof PACK_FORMAT;
  version: typeof PACK_VERSION;
  class_names: string[];
  branches: ModalityPair;
  shapes: Partial<Record<PackBranch, number[]>>;
  shards: { file: string; clips: number }[];
}

/** Raised for a malformed pack; the message names the file and the field. */
export class PackError extends Error {
  constructor(
    readonly file: string,
    message: string,
  ) {
    super(`${file}: ${message}`);
    this.name = 'PackError';
  }
}

/** Sizes the model takes from a pack (its inputs are the stored clips as they are). */
export interface PackInputs {
  /** The spectrogram's size (0 x 0 without one). */
  audioHeight: number;
  audioWidth: number;
  /** S and T of every frame branch. */
  visualSize: number;
  frames: number;
  modalities: ModalityPair;
}

const isIntArray = (x: unknown, n: number) => Array.isArray(x) && x.length === n && x.every((v) => Number.isInteger(v) && v > 0);

/** Parses and checks `pack.json`. */
export function parseManifest(text: string, file = 'pack.json'): PackManifest {
  let m: Record<string, unknown>;
  try {
    m = JSON.parse(text) as Record<string, unknown>;
  } catch (e) {
    throw new PackError(file, `not JSON (${e instanceof Error ? e.message : String(e)})`);
  }
  if (m === null || typeof m !== 'object') throw new PackError(file, 'expected a JSON object');
  if (m.format !== PACK_FORMAT) throw new PackError(file, `format is ${JSON.stringify(m.format)}, expected "${PACK_FORMAT}"`);
  if (m.version !== PACK_VERSION) throw new PackError(file, `version ${JSON.stringify(m.version)} is not supported (this lab reads version ${PACK_VERSION})`);
  const names = m.class_names;
  if (!Array.isArray(names) || names.length < 2 || !names.every((n) => typeof n === 'string') || new Set(names).size !== names.length) {
    throw new PackError(file, 'class_names must be an array of at least 2 distinct strings');
  }
  const branches = m.branches;
  if (!Array.isArray(branches) || branches.length !== 2 || !branches.every((b) => (PACK_BRANCHES as readonly string[]).includes(b as string))) {
    throw new PackError(file, `branches must be two of ${PACK_BRANCHES.join(', ')}, got ${JSON.stringify(branches)}`);
  }
  const pair = supportedPair(branches);
  if (!pair) throw new PackError(file, `branches ${JSON.stringify(branches)} are not supported: the lab trains ${MODALITY_PAIRS.map((p) => JSON.stringify(p)).join(', ')}`);
  const shapes = m.shapes as Record<string, unknown> | undefined;
  if (!shapes || typeof shapes !== 'object') throw new PackError(file, 'shapes is missing');
  if (hasSpectrogram(pair)) {
    const spec = shapes.spectrogram as number[];
    if (!isIntArray(spec, 3) || spec[0] !== 1) throw new PackError(file, `shapes.spectrogram must be [1,H,W], got ${JSON.stringify(spec)}`);
  }
  for (const kind of frameKinds(pair)) {
    const channels = KIND_CHANNELS[kind];
    const vs = shapes[kind] as number[];
    if (!isIntArray(vs, 4) || vs[1] !== vs[2] || vs[3] !== channels) throw new PackError(file, `shapes.${kind} must be [T,S,S,${channels}], got ${JSON.stringify(vs)}`);
  }
  const [a, b] = frameKinds(pair).map((k) => shapes[k] as number[]);
  if (b && (a[0] !== b[0] || a[1] !== b[1])) {
    throw new PackError(file, `shapes.${pair[0]} ${JSON.stringify(a)} and shapes.${pair[1]} ${JSON.stringify(b)} must share T and S`);
  }
  const shards = m.shards;
  if (!Array.isArray(shards) || shards.length === 0) throw new PackError(file, 'shards must list at least one shard');
  shards.forEach((s: { file?: unknown; clips?: unknown }, i) => {
    if (!s || typeof s.file !== 'string' || s.file === '' || /[\\/]|^\.\.?$/.test(s.file)) throw new PackError(file, `shards[${i}].file must be a file name in the pack folder`);
    if (!Number.isInteger(s.clips) || (s.clips as number) < 1) throw new PackError(file, `shards[${i}].clips must be a positive integer`);
  });
  return m as unknown as PackManifest;
}

/** The model input sizes a pack fixes. */
export function packInputs(manifest: PackManifest): PackInputs {
  const modalities = manifest.branches;
  const [, h, w] = hasSpectrogram(modalities) ? manifest.shapes.spectrogram! : [1, 0, 0];
  const [t, s] = manifest.shapes[modalities[1]]!;
  return { audioHeight: h, audioWidth: w, visualSize: s, frames: t, modalities };
}

interface ShardData {
  /** Spectrograms [n, H*W] (empty without one). */
  audio: Float32Array;
  frames: Partial<Record<FrameKind, Uint8Array>>;
  labels: number[];
  split: Uint8Array;
  clipIds: string[] | null;
}

function tensorOf(file: string, tensors: Map<string, DecodedTensor>, name: string, dtype: string, shape: number[]): DecodedTensor {
  const t = tensors.get(name);
  if (!t) throw new PackError(file, `tensor "${name}" is missing`);
  if (t.dtype !== dtype) throw new PackError(file, `tensor "${name}" is ${t.dtype}, expected ${dtype}`);
  if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
    throw new PackError(file, `tensor "${name}" has shape ${JSON.stringify(t.shape)}, expected ${JSON.stringify(shape)} (from pack.json)`);
  }
  return t;
}

function readShard(manifest: PackManifest, index: number, bytes: Uint8Array): ShardData {
  const { file, clips: n } = manifest.shards[index];
  let decoded;
  try {
    decoded = decodeSafetensors(bytes);
  } catch (e) {
    throw new PackError(file, e instanceof SafetensorsError ? e.message : `unreadable (${e instanceof Error ? e.message : String(e)})`);
  }
  const { tensors, metadata } = decoded;
  const pair = manifest.branches;
  const audio = hasSpectrogram(pair) ? (tensorOf(file, tensors, 'spectrogram', 'F32', [n, ...manifest.shapes.spectrogram!]).data as Float32Array) : new Float32Array(0);
  const frames: ShardData['frames'] = {};
  for (const kind of frameKinds(pair)) frames[kind] = tensorOf(file, tensors, kind, 'U8', [n, ...manifest.shapes[kind]!]).data as Uint8Array;
  const labels = int64ToNumbers(tensorOf(file, tensors, 'label', 'I64', [n]).data as BigInt64Array);
  const split = tensorOf(file, tensors, 'split', 'U8', [n]).data as Uint8Array;
  const classes = manifest.class_names.length;
  labels.forEach((l, i) => {
    if (!Number.isInteger(l) || l < 0 || l >= classes) throw new PackError(file, `label[${i}] is ${l}, outside the ${classes} classes of class_names`);
  });
  split.forEach((s, i) => {
    if (s > 1) throw new PackError(file, `split[${i}] is ${s}; expected 0 (train) or 1 (test)`);
  });
  let clipIds: string[] | null = null;
  if (metadata.clip_ids !== undefined) {
    let ids: unknown;
    try {
      ids = JSON.parse(metadata.clip_ids);
    } catch {
      ids = null;
    }
    if (!Array.isArray(ids) || ids.length !== n || !ids.every((x) => typeof x === 'string')) throw new PackError(file, `__metadata__.clip_ids must be a JSON array of ${n} strings`);
    clipIds = ids as string[];
  }
  return { audio, frames, labels, split, clipIds };
}

/** A ClipStore over rows of several shards. */
class PackClipStore implements ClipStore {
  readonly size: number;
  readonly labels: Int32Array;

  constructor(
    private readonly rows: { shard: ShardData; row: number }[],
    private readonly audioSize: number,
    private readonly frameBytes: Partial<Record<FrameKind, number>>,
    private readonly frames: number,
  ) {
    this.size = rows.length;
    this.labels = Int32Array.from(rows, (r) => r.shard.labels[r.row]);
  }

  readAudio(i: number, out: Float32Array, offset: number): void {
    if (!this.audioSize) throw new Error('this pack has no spectrograms');
    const { shard, row } = this.rows[i];
    out.set(shard.audio.subarray(row * this.audioSize, (row + 1) * this.audioSize), offset);
  }

  frameCount(): number {
    return this.frames;
  }

  readFrame(i: number, j: number, kind: FrameKind): Uint8Array {
    const { shard, row } = this.rows[i];
    const data = shard.frames[kind];
    const bytes = this.frameBytes[kind];
    if (!data || !bytes) throw new Error(`this pack has no ${kind} frames`);
    const start = (row * this.frames + j) * bytes;
    return data.subarray(start, start + bytes);
  }
}

export interface LoadedPack {
  manifest: PackManifest;
  dataset: Dataset;
  inputs: PackInputs;
  /** Clip ids per split (from the shards' metadata), in split order; null when a shard has none. */
  clipIds: { train: string[]; test: string[] } | null;
}

/** Reads a pack: `readFile(name)` gives the bytes of a file in the pack folder (rejecting when it is missing). */
export async function readPack(readFile: (name: string) => Promise<Uint8Array>, name = 'pack'): Promise<LoadedPack> {
  let text: string;
  try {
    text = new TextDecoder().decode(await readFile('pack.json'));
  } catch (e) {
    throw new PackError('pack.json', `cannot be read (${e instanceof Error ? e.message : String(e)}); a pack folder holds pack.json and its shards`);
  }
  const manifest = parseManifest(text);
  const inputs = packInputs(manifest);
  const shards: ShardData[] = [];
  for (let i = 0; i < manifest.shards.length; i++) {
    const file = manifest.shards[i].file;
    let bytes: Uint8Array;
    try {
      bytes = await readFile(file);
    } catch (e) {
      throw new PackError(file, `listed in pack.json shards[${i}] but cannot be read (${e instanceof Error ? e.message : String(e)})`);
    }
    shards.push(readShard(manifest, i, bytes));
  }
  const rows = { train: [] as { shard: ShardData; row: number }[], test: [] as { shard: ShardData; row: number }[] };
  for (const shard of shards) for (let row = 0; row < shard.labels.length; row++) rows[shard.split[row] === 0 ? 'train' : 'test'].push({ shard, row });
  if (rows.train.length === 0) throw new PackError('pack.json', 'the pack has no training clips (split 0)');
  if (rows.test.length === 0) throw new PackError('pack.json', 'the pack has no test clips (split 1)');
  const audioSize = inputs.audioHeight * inputs.audioWidth;
  const frameBytes = frameBytesByKind({ frameSize: inputs.visualSize, modalities: inputs.modalities });
  const store = (r: typeof rows.train) => new PackClipStore(r, audioSize, frameBytes, inputs.frames);
  const ids = shards.every((s) => s.clipIds)
    ? { train: rows.train.map((r) => r.shard.clipIds![r.row]), test: rows.test.map((r) => r.shard.clipIds![r.row]) }
    : null;
  return {
    manifest,
    inputs,
    clipIds: ids,
    dataset: {
      name,
      classNames: [...manifest.class_names],
      modalities: inputs.modalities,
      audioHeight: inputs.audioHeight,
      audioWidth: inputs.audioWidth,
      frameSize: inputs.visualSize,
      train: store(rows.train),
      test: store(rows.test),
    },
  };
}

export interface PackFile {
  name: string;
  bytes: Uint8Array;
}

/**
 * A dataset as pack files: `frames` per clip (chosen evenly spaced among those stored, as the evaluation
 * transform does), at the stored spectrogram and frame sizes; shards of at most `maxShardBytes` (default 1 GB).
 * Training clips first, then test clips, so split order is row order.
 */
export function writePack(dataset: Dataset, options: PackWriteOptions): PackFile[] {
  const files = [...packFiles(dataset, options)];
  const manifest = files.pop() as PackFile;
  return [manifest, ...files];
}

export interface PackWriteOptions {
  frames: number;
  maxShardBytes?: number;
  clipIds?: { train: string[]; test: string[] };
}

/**
 * The same files one at a time, shards first and `pack.json` last (a folder is a pack once its manifest is
 * there), so a writer holds one shard in memory at a time.
 */
export function* packFiles(dataset: Dataset, options: PackWriteOptions): Generator<PackFile> {
  const t = options.frames;
  const pair = dataset.modalities;
  const spectrogram = hasSpectrogram(pair);
  const h = spectrogram ? dataset.audioHeight : 0;
  const w = spectrogram ? dataset.audioWidth : 0;
  const s = dataset.frameSize;
  const kinds = frameKinds(pair);
  const clipBytes = h * w * 4 + kinds.reduce((sum, k) => sum + t * storedFrameBytes(dataset, k), 0) + 9;
  const perShard = Math.max(1, Math.floor((options.maxShardBytes ?? 1e9) / clipBytes));
  const clips: { store: ClipStore; i: number; split: 0 | 1; id: string | null }[] = [];
  for (let i = 0; i < dataset.train.size; i++) clips.push({ store: dataset.train, i, split: 0, id: options.clipIds?.train[i] ?? null });
  for (let i = 0; i < dataset.test.size; i++) clips.push({ store: dataset.test, i, split: 1, id: options.clipIds?.test[i] ?? null });
  const shards: PackManifest['shards'] = [];
  for (let start = 0; start < clips.length; start += perShard) {
    const part = clips.slice(start, start + perShard);
    const n = part.length;
    const tensors: NamedTensor[] = [];
    if (spectrogram) {
      const audio = new Float32Array(n * h * w);
      part.forEach((clip, k) => clip.store.readAudio(clip.i, audio, k * h * w));
      tensors.push({ name: 'spectrogram', dtype: 'F32', shape: [n, 1, h, w], data: audio });
    }
    for (const kind of kinds) {
      const bytes = storedFrameBytes(dataset, kind);
      const frames = new Uint8Array(n * t * bytes);
      part.forEach((clip, k) => evaluationFrameIndices(clip.store.frameCount(clip.i, kind), t).forEach((f, j) => frames.set(clip.store.readFrame(clip.i, f, kind), (k * t + j) * bytes)));
      tensors.push({ name: kind, dtype: 'U8', shape: [n, t, s, s, KIND_CHANNELS[kind]], data: frames });
    }
    const labels = new BigInt64Array(n);
    const split = new Uint8Array(n);
    part.forEach((clip, k) => {
      labels[k] = BigInt(clip.store.labels[clip.i]);
      split[k] = clip.split;
    });
    tensors.push({ name: 'label', dtype: 'I64', shape: [n], data: labels }, { name: 'split', dtype: 'U8', shape: [n], data: split });
    const metadata: Record<string, string> = part.every((p) => p.id !== null) ? { clip_ids: JSON.stringify(part.map((p) => p.id)) } : {};
    const file = `part-${String(shards.length).padStart(5, '0')}.safetensors`;
    shards.push({ file, clips: n });
    yield { name: file, bytes: encodeSafetensors(tensors, metadata) };
  }
  const shapes: PackManifest['shapes'] = {};
  if (spectrogram) shapes.spectrogram = [1, h, w];
  for (const kind of kinds) shapes[kind] = [t, s, s, KIND_CHANNELS[kind]];
  const manifest: PackManifest = { format: PACK_FORMAT, version: PACK_VERSION, class_names: [...dataset.classNames], branches: [...pair], shapes, shards };
  yield { name: 'pack.json', bytes: new TextEncoder().encode(`${JSON.stringify(manifest, null, 2)}\n`) };
}
