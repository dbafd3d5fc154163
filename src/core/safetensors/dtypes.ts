/**
 * The element types of the format and the checks a tensor's dtype and shape must pass, the same for the writer
 * (tensors given to it) and the reader (tensors a header claims).
 */
import { describe, SafetensorsError } from './errors';

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

function isDtype(x: unknown): x is SafetensorsDtype {
  return typeof x === 'string' && Object.prototype.hasOwnProperty.call(DTYPE_BYTES, x);
}

/** Throws 'unknown-dtype' unless `dtype` is one of the format's dtypes (an own key of DTYPE_BYTES). */
export function checkDtype(name: string, dtype: unknown): asserts dtype is SafetensorsDtype {
  if (!isDtype(dtype)) {
    throw new SafetensorsError(
      'unknown-dtype',
      `tensor "${name}": unknown dtype ${describe(dtype)} (supported: ${Object.keys(DTYPE_BYTES).join(', ')})`,
    );
  }
}

/** A shape as messages write it: `[2,3]`. */
export function shapeText(shape: readonly unknown[]): string {
  return JSON.stringify(shape);
}

/**
 * Throws 'invalid-shape' unless `shape` is an array of non-negative safe integers (`[]` is a scalar). Returns the
 * element count, or null when that count is beyond 2^53 - 1: no buffer holds such a tensor, and the product is
 * never formed, so a hostile header cannot make it overflow.
 */
export function shapeElementCount(name: string, shape: unknown): number | null {
  if (!Array.isArray(shape)) {
    throw new SafetensorsError('invalid-shape', `tensor "${name}": shape must be an array, got ${describe(shape)}`);
  }
  for (const d of shape) {
    if (typeof d !== 'number' || !Number.isSafeInteger(d) || d < 0) {
      throw new SafetensorsError(
        'invalid-shape',
        `tensor "${name}": shape ${shapeText(shape)} has a dimension that is not a non-negative integer ` +
          `(${describe(d)})`,
      );
    }
  }
  if (shape.includes(0)) return 0;
  let count = 1;
  for (const d of shape as number[]) {
    count *= d;
    if (!Number.isSafeInteger(count)) return null;
  }
  return count;
}
