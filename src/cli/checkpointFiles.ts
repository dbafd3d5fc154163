/**
 * `--checkpoint DIR`: the session's checkpoint of every completed epoch on disk, so that a run killed, out of
 * memory or failed is continued with `--resume`. Two files: `checkpoint.bin` (every Float32Array of the checkpoint,
 * back to back, little-endian) and `checkpoint.json` (the rest, each array replaced by `{"$f32": [offset, length]}`
 * in floats, and the .bin's byte length). Each is written to a temporary file and renamed into place, the .bin first:
 * a reader finds the previous complete checkpoint or the new one, never half of one. Node only.
 */
import { readFile, rename, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CHECKPOINT_VERSION, type Checkpoint } from '../core/checkpoint';
import type { TrainConfig } from '../core/config';

export const CHECKPOINT_JSON = 'checkpoint.json';
export const CHECKPOINT_BIN = 'checkpoint.bin';

interface Stored {
  format: 'bmm-lab-checkpoint';
  binBytes: number;
  checkpoint: unknown;
}

/** The checkpoint as JSON text plus the binary of its arrays. */
export function encodeCheckpoint(ckpt: Checkpoint): { json: string; bin: Uint8Array } {
  const arrays: Float32Array[] = [];
  let floats = 0;
  const walk = (v: unknown): unknown => {
    if (v instanceof Float32Array) {
      arrays.push(v);
      const at = floats;
      floats += v.length;
      return { $f32: [at, v.length] };
    }
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
    return v;
  };
  const tree = walk(ckpt);
  const bin = new Uint8Array(floats * 4);
  const view = new DataView(bin.buffer);
  let at = 0;
  for (const a of arrays) for (let i = 0; i < a.length; i++, at += 4) view.setFloat32(at, a[i], true);
  const stored: Stored = { format: 'bmm-lab-checkpoint', binBytes: bin.length, checkpoint: tree };
  return { json: JSON.stringify(stored), bin };
}

/** The checkpoint from its two files' contents; throws a sentence naming what is wrong. */
export function decodeCheckpoint(json: string, bin: Uint8Array, where: string): Checkpoint {
  let stored: Stored;
  try {
    stored = JSON.parse(json) as Stored;
  } catch {
    throw new Error(`${where}/${CHECKPOINT_JSON} is not JSON (damaged?)`);
  }
  if (stored?.format !== 'bmm-lab-checkpoint') throw new Error(`${where}/${CHECKPOINT_JSON} is not a bmm-lab checkpoint`);
  if (stored.binBytes !== bin.length) {
    throw new Error(`${where}/${CHECKPOINT_BIN} has ${bin.length} bytes but ${CHECKPOINT_JSON} expects ${stored.binBytes} (written by another run, or damaged)`);
  }
  const view = new DataView(bin.buffer, bin.byteOffset, bin.byteLength);
  const walk = (v: unknown): unknown => {
    if (v && typeof v === 'object' && !Array.isArray(v) && '$f32' in v) {
      const [offset, length] = (v as { $f32: [number, number] }).$f32;
      const out = new Float32Array(length);
      for (let i = 0; i < length; i++) out[i] = view.getFloat32(4 * (offset + i), true);
      return out;
    }
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
    return v;
  };
  const ckpt = walk(stored.checkpoint) as Checkpoint;
  if (ckpt?.version !== CHECKPOINT_VERSION) throw new Error(`${where}/${CHECKPOINT_JSON}: checkpoint version ${String(ckpt?.version)} is not supported (expected ${CHECKPOINT_VERSION})`);
  return ckpt;
}

/** Writes the checkpoint into `dir` (which exists), replacing the previous one only once the new one is complete. */
export async function writeCheckpointFolder(dir: string, ckpt: Checkpoint): Promise<void> {
  const { json, bin } = encodeCheckpoint(ckpt);
  const tmp = `.${process.pid}.tmp`;
  await writeFile(join(dir, CHECKPOINT_BIN + tmp), bin);
  await writeFile(join(dir, CHECKPOINT_JSON + tmp), json);
  await rename(join(dir, CHECKPOINT_BIN + tmp), join(dir, CHECKPOINT_BIN));
  await rename(join(dir, CHECKPOINT_JSON + tmp), join(dir, CHECKPOINT_JSON));
}

/** The checkpoint in `dir`. */
export async function readCheckpointFolder(dir: string): Promise<Checkpoint> {
  const [json, bin] = await Promise.all([readFile(join(dir, CHECKPOINT_JSON), 'utf8'), readFile(join(dir, CHECKPOINT_BIN))]);
  return decodeCheckpoint(json, new Uint8Array(bin.buffer, bin.byteOffset, bin.byteLength), dir);
}

/** Only the config of the checkpoint in `dir` (what `--resume` starts from), read synchronously. */
export function readCheckpointConfig(dir: string): { config: TrainConfig; epoch: number } {
  const text = readFileSync(join(dir, CHECKPOINT_JSON), 'utf8');
  let stored: Stored;
  try {
    stored = JSON.parse(text) as Stored;
  } catch {
    throw new Error(`${dir}/${CHECKPOINT_JSON} is not JSON (damaged?)`);
  }
  const ckpt = stored?.checkpoint as { config?: TrainConfig; epoch?: number } | undefined;
  if (stored?.format !== 'bmm-lab-checkpoint' || !ckpt?.config) throw new Error(`${dir}/${CHECKPOINT_JSON} is not a bmm-lab checkpoint`);
  return { config: ckpt.config, epoch: ckpt.epoch ?? 0 };
}
