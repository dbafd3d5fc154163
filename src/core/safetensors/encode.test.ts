import { describe, expect, it } from 'vitest';
import { encodeSafetensors } from './encode';
import { expectError } from '../../../test/support/safetensorsFiles';

describe('encodeSafetensors', () => {
  it('writes the exact byte layout of a tiny file', () => {
    const bytes = encodeSafetensors(
      [
        { name: 'b', dtype: 'F32', shape: [2], data: new Float32Array([1, -2]) },
        { name: 'a', dtype: 'I64', shape: [], data: [7] },
      ],
      { format_version: '1' },
    );
    const header =
      '{"__metadata__":{"format_version":"1"},' +
      '"b":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},' +
      '"a":{"dtype":"I64","shape":[],"data_offsets":[8,16]}}';
    expect(header.length).toBe(145);
    const expected = [
      ...[152, 0, 0, 0, 0, 0, 0, 0], // N = 145 rounded up to a multiple of 8, u64 little-endian
      ...Array.from(header, (c) => c.charCodeAt(0)),
      ...[0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20], // 7 spaces of padding: 8 + 152 = 160
      ...[0x00, 0x00, 0x80, 0x3f], // 1.0f
      ...[0x00, 0x00, 0x00, 0xc0], // -2.0f
      ...[7, 0, 0, 0, 0, 0, 0, 0], // int64 7
    ];
    expect(Array.from(bytes)).toEqual(expected);
  });

  it('pads the header with spaces so that the data starts at a multiple of 8', () => {
    for (let len = 0; len < 20; len++) {
      const name = 'x'.repeat(len);
      const bytes = encodeSafetensors({ [name + 'n']: { dtype: 'U8', shape: [1], data: [9] } }, {});
      const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
      expect((8 + n) % 8).toBe(0);
      const text = new TextDecoder().decode(bytes.subarray(8, 8 + n));
      const trimmed = text.replace(/ +$/, '');
      expect(n - trimmed.length).toBeLessThan(8);
      expect(trimmed.endsWith('}')).toBe(true);
      expect(bytes[8 + n]).toBe(9);
      expect(bytes.length).toBe(8 + n + 1);
    }
  });

  it('rejects a metadata value that is not a string', () => {
    expectError(
      () => encodeSafetensors([], { num_classes: 6 as unknown as string }),
      'invalid-metadata',
      /metadata value for "num_classes" must be a string, got number 6/,
    );
  });

  it('rejects inconsistent tensors', () => {
    expectError(
      () => encodeSafetensors([{ name: 'w', dtype: 'F32', shape: [2, 3], data: new Float32Array(5) }]),
      'size-mismatch',
      /"w": shape \[2,3\] holds 6 elements but data has 5/,
    );
    expectError(
      () => encodeSafetensors([{ name: 'w', dtype: 'F32', shape: [-1], data: [] }]),
      'invalid-shape',
      /not a non-negative integer/,
    );
    expectError(
      () =>
        encodeSafetensors([
          { name: 'w', dtype: 'U8', shape: [1], data: [1] },
          { name: 'w', dtype: 'U8', shape: [1], data: [1] },
        ]),
      'invalid-tensor',
      /duplicate tensor name "w"/,
    );
    expectError(() => encodeSafetensors([{ name: 'w', dtype: 'U8', shape: [1], data: [256] }]), 'invalid-tensor', /not an integer in \[0, 255\]/);
    expectError(() => encodeSafetensors([{ name: 'w', dtype: 'I64', shape: [1], data: [0.5] }]), 'invalid-tensor', /not a safe integer/);
    expectError(
      () => encodeSafetensors([{ name: 'w', dtype: 'F8' as 'F32', shape: [1], data: [0] }]),
      'unknown-dtype',
      /unknown dtype "F8"/,
    );
    expectError(
      () => encodeSafetensors([{ name: 'w', dtype: 'toString' as 'F32', shape: [1], data: [0] }]),
      'unknown-dtype',
      /unknown dtype "toString"/,
    );
    expectError(
      () => encodeSafetensors([{ name: '__metadata__', dtype: 'U8', shape: [1], data: [0] }]),
      'invalid-tensor',
      /cannot be a tensor name/,
    );
  });
});
