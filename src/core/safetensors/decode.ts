/**
 * The safetensors reader: validates the header (header.ts), then copies every tensor into its own aligned buffer
 * as the typed array of its dtype (F16 and BF16 widened to float32).
 */
import { asBytes, HOST_LITTLE_ENDIAN, swapBytes } from './bytes';
import { DTYPE_BYTES, type SafetensorsDtype } from './dtypes';
import { SafetensorsError } from './errors';
import { float16Table } from './half';
import { parseSafetensorsHeader, type SafetensorsHeader, type SafetensorsReadOptions } from './header';

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
