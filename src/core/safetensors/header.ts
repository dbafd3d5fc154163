/**
 * The safetensors header (https://github.com/huggingface/safetensors): an 8-byte little-endian u64 N, then N bytes
 * of UTF-8 JSON mapping each tensor name to `{"dtype","shape","data_offsets":[begin,end]}` (offsets relative to
 * the data start), with an optional `"__metadata__"` string-to-string map. Tensors must cover the data buffer
 * exactly, without holes or overlaps.
 *
 * The reader validates the whole header (sizes, dtypes, shapes, offsets, coverage) before anything is allocated
 * in proportion to what it claims, and rejects duplicate keys anywhere in it (JSON.parse would keep the last one
 * silently).
 */
import { asBytes } from './bytes';
import { checkDtype, DTYPE_BYTES, shapeElementCount, shapeText, type SafetensorsDtype } from './dtypes';
import { describe, SafetensorsError } from './errors';

/** The default limit on the JSON header size, as in the reference implementation (100 MB). */
export const DEFAULT_MAX_HEADER_BYTES = 100_000_000;

/** The header key that holds the metadata rather than a tensor. */
export const METADATA_KEY = '__metadata__';

/** A tensor as described by the header. */
export interface TensorInfo {
  name: string;
  dtype: SafetensorsDtype;
  shape: number[];
  /** [begin, end) in bytes, relative to the start of the data buffer. */
  dataOffsets: [number, number];
}

/** The validated header of a safetensors file. */
export interface SafetensorsHeader {
  /** N, the JSON header length in bytes. */
  headerLength: number;
  /** 8 + N: where the data buffer starts in the file. */
  dataStart: number;
  /** Bytes in the data buffer (file size - 8 - N). */
  dataLength: number;
  /** Tensors in data-offset order. */
  tensors: TensorInfo[];
  metadata: Record<string, string>;
}

export interface SafetensorsReadOptions {
  /** Largest accepted JSON header, in bytes (default 100 MB). */
  maxHeaderBytes?: number;
}

export interface SafetensorsHeaderOptions extends SafetensorsReadOptions {
  /** Size of the whole file when `bytes` is only its beginning (e.g. a File slice); defaults to `bytes` length. */
  fileSize?: number;
}

/** The part of a Blob/File that the header reader needs (browser File, Node Blob). */
export interface BlobLike {
  readonly size: number;
  slice(start?: number, end?: number): { arrayBuffer(): Promise<ArrayBuffer> };
}

/**
 * Reads and checks N from the first 8 bytes. With `fileSize`, also checks that the header fits in the file, so
 * the caller can then safely read the first 8 + N bytes (e.g. `file.slice(0, 8 + N)`).
 */
export function readSafetensorsHeaderLength(
  first8: Uint8Array | ArrayBuffer,
  opts: SafetensorsHeaderOptions = {},
): number {
  const bytes = asBytes(first8);
  if (bytes.byteLength < 8) {
    throw new SafetensorsError(
      'truncated',
      `file too short: ${bytes.byteLength} bytes, need at least 8 for the header length`,
    );
  }
  const max = opts.maxHeaderBytes ?? DEFAULT_MAX_HEADER_BYTES;
  const n64 = new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true);
  if (n64 > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new SafetensorsError(
      'header-too-large',
      `header length ${n64} exceeds 2^53 - 1; this is not a safetensors file or it is corrupt`,
    );
  }
  const n = Number(n64);
  if (n > max) {
    throw new SafetensorsError(
      'header-too-large',
      `header length ${n} bytes exceeds the limit of ${max} bytes (maxHeaderBytes)`,
    );
  }
  if (opts.fileSize !== undefined && 8 + n > opts.fileSize) {
    throw new SafetensorsError(
      'header-beyond-file',
      `header length ${n} bytes is larger than the file (${opts.fileSize} bytes in all)`,
    );
  }
  return n;
}

/**
 * Parses and validates the header from the beginning of a file. `bytes` must hold at least 8 + N bytes; pass
 * `fileSize` when it is only a prefix (a File slice) so offsets can be checked against the real data length.
 */
export function parseSafetensorsHeader(
  bytes: Uint8Array | ArrayBuffer,
  opts: SafetensorsHeaderOptions = {},
): SafetensorsHeader {
  const b = asBytes(bytes);
  const fileSize = opts.fileSize ?? b.byteLength;
  if (fileSize < b.byteLength) {
    throw new SafetensorsError('truncated', `fileSize ${fileSize} is smaller than the ${b.byteLength} bytes given`);
  }
  const n = readSafetensorsHeaderLength(b, { ...opts, fileSize });
  if (b.byteLength < 8 + n) {
    throw new SafetensorsError(
      'truncated',
      `need the first ${8 + n} bytes (8 + header length ${n}) to read the header, got ${b.byteLength}`,
    );
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(b.subarray(8, 8 + n));
  } catch {
    throw new SafetensorsError('invalid-utf8', 'header is not valid UTF-8');
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new SafetensorsError(
      'invalid-json',
      `header is not valid JSON (${(e as Error).message}); begins with ${JSON.stringify(text.slice(0, 40))}`,
    );
  }
  if (!isPlainObject(parsed)) {
    throw new SafetensorsError(
      'header-not-object',
      `header must be a JSON object, got ${Array.isArray(parsed) ? 'an array' : describe(parsed)}`,
    );
  }
  checkNoDuplicateKeys(text);

  const dataLength = fileSize - 8 - n;
  let metadata: Record<string, string> = {};
  const tensors: TensorInfo[] = [];
  for (const [name, entry] of Object.entries(parsed)) {
    if (name === METADATA_KEY) {
      metadata = parseMetadata(entry);
      continue;
    }
    tensors.push(parseEntry(name, entry, dataLength));
  }
  checkCoverage(tensors, dataLength);
  return { headerLength: n, dataStart: 8 + n, dataLength, tensors, metadata };
}

/** Reads and validates only the header of a File/Blob (two small reads), before committing to the whole file. */
export async function readSafetensorsHeaderFromBlob(
  blob: BlobLike,
  opts: SafetensorsReadOptions = {},
): Promise<SafetensorsHeader> {
  const first8 = new Uint8Array(await blob.slice(0, Math.min(8, blob.size)).arrayBuffer());
  const n = readSafetensorsHeaderLength(first8, { ...opts, fileSize: blob.size });
  const head = new Uint8Array(await blob.slice(0, 8 + n).arrayBuffer());
  return parseSafetensorsHeader(head, { ...opts, fileSize: blob.size });
}

function parseMetadata(entry: unknown): Record<string, string> {
  if (entry === null) return {};
  if (!isPlainObject(entry)) {
    throw new SafetensorsError(
      'invalid-metadata',
      `"${METADATA_KEY}" must be an object of strings, got ${describe(entry)}`,
    );
  }
  const out: [string, string][] = [];
  for (const [k, v] of Object.entries(entry)) {
    if (typeof v !== 'string') {
      throw new SafetensorsError('invalid-metadata', `metadata value for "${k}" must be a string, got ${describe(v)}`);
    }
    out.push([k, v]);
  }
  return Object.fromEntries(out); // defines own properties, so a key "__proto__" stays data
}

function parseEntry(name: string, entry: unknown, dataLength: number): TensorInfo {
  if (!isPlainObject(entry)) {
    throw new SafetensorsError('invalid-entry', `tensor "${name}": entry must be an object, got ${describe(entry)}`);
  }
  for (const key of ['dtype', 'shape', 'data_offsets']) {
    if (!Object.prototype.hasOwnProperty.call(entry, key)) {
      throw new SafetensorsError('invalid-entry', `tensor "${name}": entry is missing "${key}"`);
    }
  }
  const { dtype, shape, data_offsets: offsets } = entry as { dtype: unknown; shape: unknown; data_offsets: unknown };
  checkDtype(name, dtype);
  const count = shapeElementCount(name, shape);
  const isOffset = (o: unknown) => typeof o === 'number' && Number.isSafeInteger(o) && o >= 0;
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isOffset)) {
    throw new SafetensorsError(
      'invalid-offsets',
      `tensor "${name}": data_offsets must be [begin, end] with non-negative integers, got ${JSON.stringify(offsets)}`,
    );
  }
  const [begin, end] = offsets as [number, number];
  if (begin > end || end > dataLength) {
    throw new SafetensorsError(
      'invalid-offsets',
      `tensor "${name}": data_offsets [${begin},${end}] lie outside the data buffer of ${dataLength} bytes`,
    );
  }
  // A count beyond 2^53 needs more bytes than any file has.
  const span = end - begin;
  const bytes = count === null ? Infinity : count * DTYPE_BYTES[dtype];
  if (bytes !== span) {
    const needs = bytes > span ? `more than ${span}` : String(bytes);
    throw new SafetensorsError(
      'size-mismatch',
      `tensor "${name}": ${dtype} shape ${shapeText(shape as number[])} needs ${needs} bytes ` +
        `but data_offsets [${begin},${end}] span ${span}`,
    );
  }
  return { name, dtype, shape: (shape as number[]).slice(), dataOffsets: [begin, end] };
}

/** Sorts tensors by offset and requires them to tile [0, dataLength) exactly. */
function checkCoverage(tensors: TensorInfo[], dataLength: number): void {
  tensors.sort((a, b) => a.dataOffsets[0] - b.dataOffsets[0] || a.dataOffsets[1] - b.dataOffsets[1]);
  let cursor = 0;
  let prev = '';
  for (const t of tensors) {
    const [begin, end] = t.dataOffsets;
    if (begin < cursor) {
      throw new SafetensorsError(
        'overlap',
        `tensor "${t.name}" (bytes ${begin}-${end}) overlaps tensor "${prev}" (ends at ${cursor})`,
      );
    }
    if (begin > cursor) {
      throw new SafetensorsError(
        'hole',
        `bytes ${cursor}-${begin} of the data buffer belong to no tensor (before "${t.name}")`,
      );
    }
    cursor = end;
    prev = t.name;
  }
  if (cursor !== dataLength) {
    throw new SafetensorsError(
      'hole',
      `bytes ${cursor}-${dataLength} at the end of the data buffer belong to no tensor`,
    );
  }
}

/**
 * Rejects a JSON text (already known to be valid) that repeats a key within one object. A linear scan with an
 * explicit stack, so deep nesting cannot overflow the call stack.
 */
function checkNoDuplicateKeys(json: string): void {
  type Frame = { keys: Set<string> | null; expectKey: boolean };
  const stack: Frame[] = [];
  for (let i = 0; i < json.length; i++) {
    const c = json.charCodeAt(i);
    if (c === 0x7b /* { */) stack.push({ keys: new Set(), expectKey: true });
    else if (c === 0x5b /* [ */) stack.push({ keys: null, expectKey: false });
    else if (c === 0x7d /* } */ || c === 0x5d /* ] */) stack.pop();
    else if (c === 0x2c /* , */) {
      const top = stack[stack.length - 1];
      if (top.keys) top.expectKey = true;
    } else if (c === 0x3a /* : */) stack[stack.length - 1].expectKey = false;
    else if (c === 0x22 /* " */) {
      const start = i;
      for (i++; json.charCodeAt(i) !== 0x22; i++) if (json.charCodeAt(i) === 0x5c /* \ */) i++;
      const top = stack[stack.length - 1];
      if (top?.keys && top.expectKey) {
        const key = JSON.parse(json.slice(start, i + 1)) as string;
        if (top.keys.has(key)) {
          const where = stack.length === 1 ? 'tensor name' : 'key';
          throw new SafetensorsError('duplicate-key', `duplicate ${where} "${key}" in the header`);
        }
        top.keys.add(key);
      }
    }
  }
}

function isPlainObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}
