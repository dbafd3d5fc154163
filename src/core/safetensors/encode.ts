/**
 * The safetensors writer: `__metadata__` first, then the tensors in the order given (array order, or the key order
 * of a record), packed back to back; the header is compact JSON padded with spaces so that 8 + N is a multiple of
 * 8 (the data then starts aligned).
 */
import { HOST_LITTLE_ENDIAN, swapBytes } from './bytes';
import { checkDtype, DTYPE_BYTES, shapeElementCount, shapeText, type SafetensorsDtype } from './dtypes';
import { describe, SafetensorsError } from './errors';
import { float32ToBfloat16Bits, float32ToFloat16Bits } from './half';
import { METADATA_KEY } from './header';

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
    checkDtype(t.name, t.dtype);
    const count = shapeElementCount(t.name, t.shape);
    if (count === null) throw new SafetensorsError('invalid-shape', `tensor "${t.name}": shape ${shapeText(t.shape)} is too large`);
    if (t.data.length !== count) {
      throw new SafetensorsError(
        'size-mismatch',
        `tensor "${t.name}": shape ${shapeText(t.shape)} holds ${count} elements but data has ${t.data.length}`,
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
