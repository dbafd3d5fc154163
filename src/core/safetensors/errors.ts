/** The codec's one error type: a code to branch on and a message that names the tensor and what was wrong. */

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

/** A short description of a value for error messages: `null`, `an array`, a quoted (cut) string, `number 6`. */
export function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}...` : v);
  if (typeof v === 'object') return 'an object';
  return `${typeof v} ${String(v)}`;
}
