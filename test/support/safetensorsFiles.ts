/** Hand-made files and an error matcher for the codec's tests. */
import { expect } from 'vitest';
import { SafetensorsError } from '../../src/core/safetensors/errors';

/** A file with a given header text (unpadded unless the text is) and `dataBytes` bytes of data 0, 1, 2, ... */
export function rawFile(header: string, dataBytes: number, headerLength?: bigint): Uint8Array {
  const json = new TextEncoder().encode(header);
  const out = new Uint8Array(8 + json.length + dataBytes);
  new DataView(out.buffer).setBigUint64(0, headerLength ?? BigInt(json.length), true);
  out.set(json, 8);
  for (let i = 0; i < dataBytes; i++) out[8 + json.length + i] = i & 0xff;
  return out;
}

export function expectError(fn: () => unknown, code: string, message: RegExp): void {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(SafetensorsError);
  expect((caught as SafetensorsError).code).toBe(code);
  expect((caught as Error).message).toMatch(message);
}

/** The dtype and shape of a two-element F32 tensor, as header JSON. */
export const F32_2 = '"dtype":"F32","shape":[2]';
