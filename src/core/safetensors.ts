/**
 * A dependency-free safetensors codec (https://github.com/huggingface/safetensors), pure TypeScript: no DOM and
 * no Node APIs, so it runs in browser workers and in Node alike.
 *
 * Layout: an 8-byte little-endian u64 N, then N bytes of UTF-8 JSON header, then the data buffer. The header maps
 * each tensor name to `{"dtype","shape","data_offsets":[begin,end]}` (offsets relative to the data start) and may
 * hold `"__metadata__"`: a string-to-string map. Tensors cover the data buffer exactly, without holes or overlaps.
 *
 * Choices made here:
 * - The writer puts `__metadata__` first, then the tensors in the order given (array order, or the key order of a
 *   record), packed back to back; the header is compact JSON padded with spaces so that 8 + N is a multiple of 8.
 * - The reader validates the whole header (sizes, dtypes, shapes, offsets, coverage) before it allocates anything
 *   in proportion to what the header claims, rejects duplicate keys anywhere in the header (JSON.parse would keep
 *   the last one silently), and copies every tensor into its own aligned buffer.
 */

/** Element types of the safetensors format that this codec reads and writes. */
export type SafetensorsDtype =
  | 'F64'
  | 'F32'
  | 'F16'
  | 'BF16'
  | 'I64'
  | 'I32'
  | 'I16'
  | 'I8'
  | 'U64'
  | 'U32'
  | 'U16'
  | 'U8'
  | 'BOOL';

/** Bytes per element of each dtype. */
export const DTYPE_BYTES: Readonly<Record<SafetensorsDtype, number>> = {
  F64: 8,
  F32: 4,
  F16: 2,
  BF16: 2,
  I64: 8,
  I32: 4,
  I16: 2,
  I8: 1,
  U64: 8,
  U32: 4,
  U16: 2,
  U8: 1,
  BOOL: 1,
};

/** The default limit on the JSON header size, as in the reference implementation (100 MB). */
export const DEFAULT_MAX_HEADER_BYTES = 100_000_000;

const METADATA_KEY = '__metadata__';

export type SafetensorsErrorCode =
  | 'truncated'
  | 'header-too-large'
  | 'header-beyond-file'
  | 'invalid-utf8'
  | 'invalid-json'
  | 'header-not-object'
  | 'duplicate-key'
  | 'invalid-entry'
  | 'unknown-dtype'
  | 'invalid-shape'
  | 'invalid-offsets'
  | 'size-mismatch'
  | 'overlap'
  | 'hole'
  | 'invalid-metadata'
  | 'invalid-tensor';

/** Raised for any malformed, hostile or unsupported safetensors input, and for invalid tensors given to the writer. */
export class SafetensorsError extends Error {
  readonly code: SafetensorsErrorCode;
  constructor(code: SafetensorsErrorCode, message: string) {
    super(`safetensors: ${message}`);
    this.name = 'SafetensorsError';
    this.code = code;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Public types

/**
 * Tensor data accepted by the writer. Numbers are converted to the dtype (integers are range-checked, floats are
 * rounded to nearest even for F16/BF16). For F16/BF16 a Uint16Array is taken as the raw 16-bit patterns. I64/U64
 * accept BigInt64Array/BigUint64Array, bigint arrays, or safe-integer numbers (e.g. an Int32Array).
 */
export type TensorInput = ArrayLike<number> | ArrayLike<bigint>;

/** A tensor to write, without its name. `shape` is row-major; `[]` is a scalar (one element). */
export interface NamedTensorData {
  dtype: SafetensorsDtype;
  shape: readonly number[];
  data: TensorInput;
}

/** A tensor to write, with its name. */
export interface NamedTensor extends NamedTensorData {
  name: string;
}

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

interface DecodedBase<D extends SafetensorsDtype, A> {
  name: string;
  /** The dtype stored in the file (F16 and BF16 are widened to Float32Array in `data`). */
  dtype: D;
  shape: number[];
  data: A;
}

/** A decoded tensor; `data` is a fresh typed array that owns its (aligned) buffer. */
export type DecodedTensor =
  | DecodedBase<'F32' | 'F16' | 'BF16', Float32Array>
  | DecodedBase<'F64', Float64Array>
  | DecodedBase<'I64', BigInt64Array>
  | DecodedBase<'U64', BigUint64Array>
  | DecodedBase<'I32', Int32Array>
  | DecodedBase<'U32', Uint32Array>
  | DecodedBase<'I16', Int16Array>
  | DecodedBase<'U16', Uint16Array>
  | DecodedBase<'I8', Int8Array>
  | DecodedBase<'U8' | 'BOOL', Uint8Array>;

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

// ---------------------------------------------------------------------------------------------------------------
// Encoding

/** Serialises tensors and string metadata to safetensors bytes (metadata first, tensors in the order given). */
export function encodeSafetensors(
  tensors: readonly NamedTensor[] | Readonly<Record<string, NamedTensorData>>,
  metadata: Readonly<Record<string, string>> = {},
): Uint8Array<ArrayBuffer> {
  const list: NamedTensor[] = Array.isArray(tensors)
    ? (tensors as readonly NamedTensor[]).slice()
    : Object.entries(tensors as Record<string, NamedTensorData>).map(([name, t]) => ({ ...t, name }));

  const meta: [string, string][] = [];
  for (const [k, v] of Object.entries(metadata)) {
    if (typeof v !== 'string') {
      throw new SafetensorsError(
        'invalid-metadata',
        `metadata value for "${k}" must be a string, got ${describe(v)} (JSON.stringify numbers and arrays first)`,
      );
    }
    meta.push([k, v]);
  }

  const seen = new Set<string>();
  const payloads: Uint8Array[] = [];
  // Build the header by hand so key order is explicit (JS objects would move integer-like names first).
  const metaJson = meta.map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`).join(',');
  const parts: string[] = [`${JSON.stringify(METADATA_KEY)}:{${metaJson}}`];
  let offset = 0;
  for (const t of list) {
    if (typeof t.name !== 'string') {
      throw new SafetensorsError('invalid-tensor', `tensor name must be a string, got ${describe(t.name)}`);
    }
    if (t.name === METADATA_KEY) {
      throw new SafetensorsError('invalid-tensor', `"${METADATA_KEY}" cannot be a tensor name`);
    }
    if (seen.has(t.name)) throw new SafetensorsError('invalid-tensor', `duplicate tensor name "${t.name}"`);
    seen.add(t.name);
    if (!isDtype(t.dtype)) {
      throw new SafetensorsError(
        'unknown-dtype',
        `tensor "${t.name}": unknown dtype ${describe(t.dtype)} (supported: ${Object.keys(DTYPE_BYTES).join(', ')})`,
      );
    }
    const count = checkedShapeSize(t.name, t.shape);
    if (t.data.length !== count) {
      throw new SafetensorsError(
        'size-mismatch',
        `tensor "${t.name}": shape [${t.shape.join(',')}] holds ${count} elements but data has ${t.data.length}`,
      );
    }
    const bytes = toLittleEndianBytes(t.name, t.dtype, t.data);
    payloads.push(bytes);
    const end = offset + bytes.byteLength;
    const shape = t.shape.join(',');
    parts.push(`${JSON.stringify(t.name)}:{"dtype":"${t.dtype}","shape":[${shape}],"data_offsets":[${offset},${end}]}`);
    offset = end;
  }

  const json = new TextEncoder().encode(`{${parts.join(',')}}`);
  const headerLength = Math.ceil(json.byteLength / 8) * 8; // 8 + N is a multiple of 8 iff N is
  const out = new Uint8Array(8 + headerLength + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerLength), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.byteLength, 8 + headerLength);
  let at = 8 + headerLength;
  for (const p of payloads) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
}

function checkedShapeSize(name: string, shape: readonly number[]): number {
  if (!Array.isArray(shape)) {
    throw new SafetensorsError('invalid-shape', `tensor "${name}": shape must be an array, got ${describe(shape)}`);
  }
  let count = 1;
  for (const d of shape) {
    if (!Number.isSafeInteger(d) || d < 0) {
      throw new SafetensorsError(
        'invalid-shape',
        `tensor "${name}": shape [${shape.join(',')}] has a dimension that is not a non-negative integer ` +
          `(${describe(d)})`,
      );
    }
    count *= d;
    if (!Number.isSafeInteger(count)) {
      throw new SafetensorsError('invalid-shape', `tensor "${name}": shape [${shape.join(',')}] is too large`);
    }
  }
  return count;
}

type IntRange = [number, number];
const INT_ARRAYS = {
  I32: Int32Array,
  U32: Uint32Array,
  I16: Int16Array,
  U16: Uint16Array,
  I8: Int8Array,
  U8: Uint8Array,
  BOOL: Uint8Array,
};
const INT_RANGES: Record<keyof typeof INT_ARRAYS, IntRange> = {
  I32: [-0x80000000, 0x7fffffff],
  U32: [0, 0xffffffff],
  I16: [-0x8000, 0x7fff],
  U16: [0, 0xffff],
  I8: [-0x80, 0x7f],
  U8: [0, 0xff],
  BOOL: [0, 1],
};

/** Converts the input to the dtype's typed array (no copy when it already is one) and returns its LE bytes. */
function toLittleEndianBytes(name: string, dtype: SafetensorsDtype, data: TensorInput): Uint8Array {
  const n = data.length;
  const isBig = n > 0 && typeof data[0] === 'bigint';
  if (isBig && dtype !== 'I64' && dtype !== 'U64') {
    throw new SafetensorsError(
      'invalid-tensor',
      `tensor "${name}": bigint data can only be written as I64 or U64, not ${dtype}`,
    );
  }
  let arr: ArrayBufferView & { length: number };
  switch (dtype) {
    case 'F32':
      arr = data instanceof Float32Array ? data : Float32Array.from(numbers(name, data));
      break;
    case 'F64':
      arr = data instanceof Float64Array ? data : Float64Array.from(numbers(name, data));
      break;
    case 'F16':
    case 'BF16': {
      if (data instanceof Uint16Array) {
        arr = data;
        break;
      }
      const src = data instanceof Float32Array ? data : Float32Array.from(numbers(name, data));
      const bits = new Uint16Array(n);
      const conv = dtype === 'F16' ? float32ToFloat16Bits : float32ToBfloat16Bits;
      for (let i = 0; i < n; i++) bits[i] = conv(src[i]);
      arr = bits;
      break;
    }
    case 'I64':
    case 'U64': {
      const Ctor = dtype === 'I64' ? BigInt64Array : BigUint64Array;
      if (data instanceof Ctor) {
        arr = data;
        break;
      }
      const [lo, hi] = dtype === 'I64' ? [-(2n ** 63n), 2n ** 63n - 1n] : [0n, 2n ** 64n - 1n];
      const out = new Ctor(n);
      for (let i = 0; i < n; i++) {
        const v = data[i];
        let b: bigint;
        if (typeof v === 'bigint') b = v;
        else if (Number.isSafeInteger(v)) b = BigInt(v);
        else {
          throw new SafetensorsError(
            'invalid-tensor',
            `tensor "${name}": element ${i} (${describe(v)}) is not a safe integer for ${dtype}`,
          );
        }
        if (b < lo || b > hi) {
          throw new SafetensorsError(
            'invalid-tensor',
            `tensor "${name}": element ${i} (${b}) is out of range for ${dtype}`,
          );
        }
        out[i] = b;
      }
      arr = out;
      break;
    }
    default: {
      const Ctor = INT_ARRAYS[dtype];
      if (data instanceof Ctor && !(dtype === 'BOOL' && (data as Uint8Array).some((v) => v > 1))) {
        arr = data;
        break;
      }
      const [lo, hi] = INT_RANGES[dtype];
      const out = new Ctor(n);
      for (let i = 0; i < n; i++) {
        const v = data[i] as number;
        if (!Number.isInteger(v) || v < lo || v > hi) {
          throw new SafetensorsError(
            'invalid-tensor',
            `tensor "${name}": element ${i} (${describe(v)}) is not an integer in [${lo}, ${hi}] for ${dtype}`,
          );
        }
        out[i] = v;
      }
      arr = out;
    }
  }
  const bytes = new Uint8Array(arr.buffer, arr.byteOffset, arr.byteLength);
  if (HOST_LITTLE_ENDIAN) return bytes;
  const copy = new Uint8Array(bytes);
  swapBytes(copy, DTYPE_BYTES[dtype]);
  return copy;
}

function numbers(name: string, data: TensorInput): ArrayLike<number> {
  for (let i = 0; i < data.length; i++) {
    if (typeof data[i] !== 'number') {
      throw new SafetensorsError(
        'invalid-tensor',
        `tensor "${name}": element ${i} is ${describe(data[i])}, expected a number`,
      );
    }
  }
  return data as ArrayLike<number>;
}

// ---------------------------------------------------------------------------------------------------------------
// Header

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
  if (!isDtype(dtype)) {
    throw new SafetensorsError(
      'unknown-dtype',
      `tensor "${name}": unknown dtype ${describe(dtype)} (supported: ${Object.keys(DTYPE_BYTES).join(', ')})`,
    );
  }
  if (!Array.isArray(shape)) {
    throw new SafetensorsError('invalid-shape', `tensor "${name}": shape must be an array, got ${describe(shape)}`);
  }
  for (const d of shape) {
    if (typeof d !== 'number' || !Number.isSafeInteger(d) || d < 0) {
      throw new SafetensorsError(
        'invalid-shape',
        `tensor "${name}": shape ${JSON.stringify(shape)} has a dimension that is not a non-negative integer ` +
          `(${describe(d)})`,
      );
    }
  }
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
  // Multiply step by step and stop once past the span, so a huge claimed shape cannot overflow.
  const size = DTYPE_BYTES[dtype];
  let bytes = (shape as number[]).includes(0) ? 0 : size;
  for (const d of shape as number[]) {
    if (bytes > end - begin) break;
    bytes *= d;
  }
  if (bytes !== end - begin) {
    const needs = bytes > end - begin ? `more than ${end - begin}` : String(bytes);
    throw new SafetensorsError(
      'size-mismatch',
      `tensor "${name}": ${dtype} shape ${JSON.stringify(shape)} needs ${needs} bytes ` +
        `but data_offsets [${begin},${end}] span ${end - begin}`,
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

// ---------------------------------------------------------------------------------------------------------------
// Decoding

/** Parses a whole safetensors file; F16/BF16 become Float32Array, I64 BigInt64Array, other dtypes their own arrays. */
export function decodeSafetensors(
  bytes: Uint8Array | ArrayBuffer,
  opts: SafetensorsReadOptions = {},
): { tensors: Map<string, DecodedTensor>; metadata: Record<string, string>; header: SafetensorsHeader } {
  const b = asBytes(bytes);
  const header = parseSafetensorsHeader(b, { maxHeaderBytes: opts.maxHeaderBytes });
  const tensors = new Map<string, DecodedTensor>();
  for (const info of header.tensors) {
    const [begin, end] = info.dataOffsets;
    // Copy into a fresh buffer at offset 0, so the typed-array view below is aligned and owns its memory. (Not
    // b.slice(): on a Node Buffer that returns a view into a shared pool.)
    const raw = new Uint8Array(end - begin);
    raw.set(b.subarray(header.dataStart + begin, header.dataStart + end));
    if (!HOST_LITTLE_ENDIAN) swapBytes(raw, DTYPE_BYTES[info.dtype]);
    const data = viewAs(info.dtype, raw.buffer);
    tensors.set(info.name, { name: info.name, dtype: info.dtype, shape: info.shape.slice(), data } as DecodedTensor);
  }
  return { tensors, metadata: header.metadata, header };
}

function viewAs(dtype: SafetensorsDtype, buf: ArrayBuffer): DecodedTensor['data'] {
  switch (dtype) {
    case 'F32':
      return new Float32Array(buf);
    case 'F64':
      return new Float64Array(buf);
    case 'F16':
    case 'BF16': {
      const bits = new Uint16Array(buf);
      const out = new Float32Array(bits.length);
      if (dtype === 'BF16') {
        const u32 = new Uint32Array(out.buffer);
        for (let i = 0; i < bits.length; i++) u32[i] = bits[i] << 16;
      } else {
        const table = float16Table();
        for (let i = 0; i < bits.length; i++) out[i] = table[bits[i]];
      }
      return out;
    }
    case 'I64':
      return new BigInt64Array(buf);
    case 'U64':
      return new BigUint64Array(buf);
    case 'I32':
      return new Int32Array(buf);
    case 'U32':
      return new Uint32Array(buf);
    case 'I16':
      return new Int16Array(buf);
    case 'U16':
      return new Uint16Array(buf);
    case 'I8':
      return new Int8Array(buf);
    case 'U8':
    case 'BOOL':
      return new Uint8Array(buf);
  }
}

/** Converts 64-bit integers to numbers, throwing if one is beyond +-(2^53 - 1). */
export function int64ToNumbers(data: BigInt64Array | BigUint64Array): number[] {
  const out = new Array<number>(data.length);
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < -BigInt(Number.MAX_SAFE_INTEGER)) {
      throw new SafetensorsError('invalid-tensor', `element ${i} (${v}) is not exactly representable as a number`);
    }
    out[i] = Number(v);
  }
  return out;
}

/** Any decoded tensor's values as a Float32Array (returns `data` itself when it already is one). */
export function toFloat32Array(t: DecodedTensor): Float32Array {
  if (t.data instanceof Float32Array) return t.data;
  if (t.data instanceof BigInt64Array || t.data instanceof BigUint64Array) {
    return Float32Array.from(int64ToNumbers(t.data));
  }
  return Float32Array.from(t.data);
}

// ---------------------------------------------------------------------------------------------------------------
// Half-precision conversions (round to nearest, ties to even, as numpy and PyTorch do)

const f32Scratch = new Float32Array(1);
const u32Scratch = new Uint32Array(f32Scratch.buffer);

/** IEEE float32 -> float16 bit pattern. */
export function float32ToFloat16Bits(value: number): number {
  f32Scratch[0] = value;
  const x = u32Scratch[0];
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  const e = exp - 127 + 15;
  if (e >= 31) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    const half = 1 << (shift - 1);
    const rem = mant & ((1 << shift) - 1);
    let h = mant >>> shift;
    if (rem > half || (rem === half && h & 1)) h++;
    return sign | h;
  }
  let h = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && h & 1)) h++; // a carry into the exponent is the right result (up to inf)
  return sign | h;
}

/** IEEE float32 -> bfloat16 bit pattern. */
export function float32ToBfloat16Bits(value: number): number {
  f32Scratch[0] = value;
  const x = u32Scratch[0];
  if ((x & 0x7f800000) === 0x7f800000 && x & 0x7fffff) return (x >>> 16) | 0x40; // keep NaN a (quiet) NaN
  return ((x + 0x7fff + ((x >>> 16) & 1)) >>> 16) & 0xffff;
}

/** float16 bit pattern -> number. */
export function float16BitsToFloat32(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const e = (h >>> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return sign * m * 2 ** -24;
  if (e === 31) return m ? NaN : sign * Infinity;
  return sign * (1024 + m) * 2 ** (e - 25);
}

let f16Table: Float32Array | null = null;
function float16Table(): Float32Array {
  if (!f16Table) {
    f16Table = new Float32Array(65536);
    for (let i = 0; i < 65536; i++) f16Table[i] = float16BitsToFloat32(i);
  }
  return f16Table;
}

// ---------------------------------------------------------------------------------------------------------------
// Helpers

const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function swapBytes(bytes: Uint8Array, size: number): void {
  if (size === 1) return;
  for (let i = 0; i < bytes.length; i += size) {
    for (let a = i, b = i + size - 1; a < b; a++, b--) {
      const t = bytes[a];
      bytes[a] = bytes[b];
      bytes[b] = t;
    }
  }
}

function isDtype(x: unknown): x is SafetensorsDtype {
  return typeof x === 'string' && Object.prototype.hasOwnProperty.call(DTYPE_BYTES, x);
}

function asBytes(x: Uint8Array | ArrayBuffer): Uint8Array {
  return x instanceof Uint8Array ? x : new Uint8Array(x);
}

function isPlainObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}...` : v);
  if (typeof v === 'object') return 'an object';
  return `${typeof v} ${String(v)}`;
}
