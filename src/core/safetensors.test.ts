import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  DEFAULT_MAX_HEADER_BYTES,
  SafetensorsError,
  decodeSafetensors,
  encodeSafetensors,
  float16BitsToFloat32,
  float32ToBfloat16Bits,
  float32ToFloat16Bits,
  int64ToNumbers,
  parseSafetensorsHeader,
  readSafetensorsHeaderFromBlob,
  readSafetensorsHeaderLength,
  toFloat32Array,
} from './safetensors';

/** A file with a given header text (unpadded unless the text is) and `dataBytes` bytes of data 0, 1, 2, ... */
function rawFile(header: string, dataBytes: number, headerLength?: bigint): Uint8Array {
  const json = new TextEncoder().encode(header);
  const out = new Uint8Array(8 + json.length + dataBytes);
  new DataView(out.buffer).setBigUint64(0, headerLength ?? BigInt(json.length), true);
  out.set(json, 8);
  for (let i = 0; i < dataBytes; i++) out[8 + json.length + i] = i & 0xff;
  return out;
}

function expectError(fn: () => unknown, code: string, message: RegExp): void {
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

const F32_2 = '"dtype":"F32","shape":[2]';

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

describe('decodeSafetensors', () => {
  it('round-trips several dtypes, names and metadata', () => {
    const f32 = new Float32Array([0.1, -3.5, 1e-30, 3e38, -0]);
    const metadata = { format_version: '1', class_names: '["NEU","HAP"]', 'ünïcödé': 'välue' };
    const bytes = encodeSafetensors(
      [
        { name: 'audio_net.conv1.weight', dtype: 'F32', shape: [5, 1, 1, 1], data: f32 },
        { name: 'f64', dtype: 'F64', shape: [2], data: [Math.PI, -1e300] },
        { name: 'f16', dtype: 'F16', shape: [3], data: [1, -0.5, 65504] },
        { name: 'bf16', dtype: 'BF16', shape: [2], data: [1, -256] },
        { name: 'bn.num_batches_tracked', dtype: 'I64', shape: [], data: new BigInt64Array([123456789012345n]) },
        { name: 'i64_from_numbers', dtype: 'I64', shape: [3], data: new Int32Array([-1, 0, 2 ** 31 - 1]) },
        { name: 'u64', dtype: 'U64', shape: [1], data: [2n ** 64n - 1n] },
        { name: 'i32', dtype: 'I32', shape: [2], data: [-(2 ** 31), 5] },
        { name: 'u32', dtype: 'U32', shape: [1], data: [2 ** 32 - 1] },
        { name: 'i16', dtype: 'I16', shape: [1], data: [-300] },
        { name: 'u16', dtype: 'U16', shape: [1], data: [65535] },
        { name: 'i8', dtype: 'I8', shape: [2], data: [-128, 127] },
        { name: 'u8', dtype: 'U8', shape: [2, 2], data: new Uint8Array([1, 2, 3, 4]) },
        { name: 'bool', dtype: 'BOOL', shape: [2], data: [1, 0] },
        { name: 'empty', dtype: 'F32', shape: [0, 3], data: [] },
        { name: '12', dtype: 'U8', shape: [1], data: [12] },
        { name: '名前', dtype: 'U8', shape: [1], data: [42] },
      ],
      metadata,
    );
    const { tensors, metadata: meta, header } = decodeSafetensors(bytes.slice().buffer);
    expect(meta).toEqual(metadata);
    expect(header.dataStart % 8).toBe(0);
    const conv = tensors.get('audio_net.conv1.weight')!;
    expect(conv.dtype).toBe('F32');
    expect(conv.shape).toEqual([5, 1, 1, 1]);
    expect(conv.data).toEqual(f32);
    expect(Object.is(conv.data[4], -0)).toBe(true);
    expect(Array.from(tensors.get('f64')!.data as Float64Array)).toEqual([Math.PI, -1e300]);
    const f16 = tensors.get('f16')!;
    expect(f16.dtype).toBe('F16');
    expect(f16.data).toBeInstanceOf(Float32Array);
    expect(Array.from(f16.data as Float32Array)).toEqual([1, -0.5, 65504]);
    expect(Array.from(tensors.get('bf16')!.data as Float32Array)).toEqual([1, -256]);
    const nbt = tensors.get('bn.num_batches_tracked')!;
    expect(nbt.shape).toEqual([]);
    expect(nbt.data).toBeInstanceOf(BigInt64Array);
    expect(int64ToNumbers(nbt.data as BigInt64Array)).toEqual([123456789012345]);
    expect(int64ToNumbers(tensors.get('i64_from_numbers')!.data as BigInt64Array)).toEqual([-1, 0, 2 ** 31 - 1]);
    expect((tensors.get('u64')!.data as BigUint64Array)[0]).toBe(2n ** 64n - 1n);
    expect(() => int64ToNumbers(tensors.get('u64')!.data as BigUint64Array)).toThrow(/not exactly representable/);
    expect(Array.from(tensors.get('i32')!.data as Int32Array)).toEqual([-(2 ** 31), 5]);
    expect(Array.from(tensors.get('u32')!.data as Uint32Array)).toEqual([2 ** 32 - 1]);
    expect(Array.from(tensors.get('i16')!.data as Int16Array)).toEqual([-300]);
    expect(Array.from(tensors.get('u16')!.data as Uint16Array)).toEqual([65535]);
    expect(Array.from(tensors.get('i8')!.data as Int8Array)).toEqual([-128, 127]);
    expect(tensors.get('u8')!.data).toEqual(new Uint8Array([1, 2, 3, 4]));
    expect(Array.from(tensors.get('bool')!.data as Uint8Array)).toEqual([1, 0]);
    expect(tensors.get('empty')!.shape).toEqual([0, 3]);
    expect(tensors.get('empty')!.data.length).toBe(0);
    expect(Array.from(tensors.get('12')!.data as Uint8Array)).toEqual([12]);
    expect(Array.from(tensors.get('名前')!.data as Uint8Array)).toEqual([42]);
    // The map lists tensors in file (data offset) order, which is the order they were written in.
    expect([...tensors.keys()].slice(0, 3)).toEqual(['audio_net.conv1.weight', 'f64', 'f16']);
    expect(Array.from(toFloat32Array(tensors.get('i8')!))).toEqual([-128, 127]);
  });

  it('copies data out of unaligned buffers and never aliases the input', () => {
    const file = encodeSafetensors({ a: { dtype: 'U8', shape: [1], data: [1] }, w: { dtype: 'F32', shape: [2], data: [1.5, 2.5] } });
    const shifted = new Uint8Array(file.length + 1);
    shifted.set(file, 1);
    const view = shifted.subarray(1); // the F32 data now starts at an odd address
    const { tensors } = decodeSafetensors(view);
    const w = tensors.get('w')!.data as Float32Array;
    expect(Array.from(w)).toEqual([1.5, 2.5]);
    expect(w.buffer).not.toBe(shifted.buffer);
    view.fill(0);
    expect(Array.from(w)).toEqual([1.5, 2.5]);
  });

  it('accepts a file without tensors and a null or absent __metadata__', () => {
    expect(decodeSafetensors(encodeSafetensors([], {})).tensors.size).toBe(0);
    expect(decodeSafetensors(rawFile('{"__metadata__":null}', 0)).metadata).toEqual({});
    expect(decodeSafetensors(rawFile(`{"w":{${F32_2},"data_offsets":[0,8]}}`, 8)).metadata).toEqual({});
  });
});

describe('parseSafetensorsHeader on a file prefix', () => {
  const file = encodeSafetensors({ w: { dtype: 'F32', shape: [1000], data: new Float32Array(1000) } }, { fusion: 'concat' });

  it('validates a header from the first 8 + N bytes and the file size', () => {
    const n = readSafetensorsHeaderLength(file.subarray(0, 8), { fileSize: file.length });
    const header = parseSafetensorsHeader(file.subarray(0, 8 + n), { fileSize: file.length });
    expect(header.headerLength).toBe(n);
    expect(header.dataLength).toBe(4000);
    expect(header.tensors).toEqual([{ name: 'w', dtype: 'F32', shape: [1000], dataOffsets: [0, 4000] }]);
    expect(header.metadata).toEqual({ fusion: 'concat' });
  });

  it('asks for more bytes when given too few', () => {
    expectError(() => parseSafetensorsHeader(file.subarray(0, 20), { fileSize: file.length }), 'truncated', /need the first \d+ bytes/);
  });

  it('catches a truncated file from its size alone', () => {
    const n = readSafetensorsHeaderLength(file.subarray(0, 8));
    expectError(() => parseSafetensorsHeader(file.subarray(0, 8 + n), { fileSize: file.length - 4 }), 'invalid-offsets', /outside the data buffer of 3996 bytes/);
  });

  it('reads the header of a Blob with two small reads', async () => {
    const header = await readSafetensorsHeaderFromBlob(new Blob([file]));
    expect(header.tensors[0].name).toBe('w');
    const n = readSafetensorsHeaderLength(file);
    await expect(readSafetensorsHeaderFromBlob(new Blob([file.subarray(0, 8 + n + 100)]))).rejects.toThrow(/outside the data buffer/);
  });
});

describe('hostile input', () => {
  it('rejects a file shorter than 8 bytes', () => {
    expectError(() => decodeSafetensors(new Uint8Array(5)), 'truncated', /file too short: 5 bytes/);
  });

  it('rejects a header length larger than the file', () => {
    expectError(() => decodeSafetensors(rawFile('{}', 0, 1000n)), 'header-beyond-file', /header length 1000 bytes is larger than the file \(10 bytes/);
  });

  it('rejects a header length over the 100 MB default, and honours maxHeaderBytes', () => {
    expect(DEFAULT_MAX_HEADER_BYTES).toBe(100_000_000);
    expectError(() => decodeSafetensors(rawFile('{}', 0, 100_000_001n)), 'header-too-large', /100000001 bytes exceeds the limit of 100000000/);
    const ok = encodeSafetensors({ w: { dtype: 'U8', shape: [1], data: [1] } }, {});
    expectError(() => decodeSafetensors(ok, { maxHeaderBytes: 16 }), 'header-too-large', /exceeds the limit of 16 bytes/);
    expect(decodeSafetensors(ok, { maxHeaderBytes: 1000 }).tensors.size).toBe(1);
  });

  it('reads the u64 length without losing precision and rejects values above 2^53', () => {
    expectError(() => decodeSafetensors(rawFile('{}', 0, 2n ** 64n - 1n)), 'header-too-large', /18446744073709551615 exceeds 2\^53/);
    expectError(() => decodeSafetensors(rawFile('{}', 0, 2n ** 53n)), 'header-too-large', /9007199254740992 exceeds 2\^53/);
  });

  it('rejects a header that is not UTF-8', () => {
    const f = rawFile('{"\u00e9":1}', 0);
    f[10] = 0xff;
    expectError(() => decodeSafetensors(f), 'invalid-utf8', /not valid UTF-8/);
  });

  it('rejects invalid JSON', () => {
    expectError(() => decodeSafetensors(rawFile('{"w": {', 0)), 'invalid-json', /header is not valid JSON/);
    expectError(() => decodeSafetensors(rawFile('{}\0\0\0', 0)), 'invalid-json', /not valid JSON/);
  });

  it('rejects a header that is not an object', () => {
    expectError(() => decodeSafetensors(rawFile('[1,2]', 0)), 'header-not-object', /must be a JSON object, got an array/);
    expectError(() => decodeSafetensors(rawFile('null', 0)), 'header-not-object', /got null/);
    expectError(() => decodeSafetensors(rawFile('"x"', 0)), 'header-not-object', /got "x"/);
  });

  it('rejects an entry that is not an object or lacks dtype, shape or data_offsets', () => {
    expectError(() => decodeSafetensors(rawFile('{"w":[1]}', 0)), 'invalid-entry', /"w": entry must be an object, got an array/);
    expectError(() => decodeSafetensors(rawFile('{"w":{"shape":[2],"data_offsets":[0,8]}}', 8)), 'invalid-entry', /"w": entry is missing "dtype"/);
    expectError(() => decodeSafetensors(rawFile('{"w":{"dtype":"F32","data_offsets":[0,8]}}', 8)), 'invalid-entry', /missing "shape"/);
    expectError(() => decodeSafetensors(rawFile(`{"w":{${F32_2}}}`, 8)), 'invalid-entry', /missing "data_offsets"/);
  });

  it('rejects an unknown dtype', () => {
    expectError(
      () => decodeSafetensors(rawFile('{"w":{"dtype":"F8_E4M3","shape":[2],"data_offsets":[0,2]}}', 2)),
      'unknown-dtype',
      /"w": unknown dtype "F8_E4M3" \(supported: F64, F32/,
    );
    expectError(() => decodeSafetensors(rawFile('{"w":{"dtype":"toString","shape":[],"data_offsets":[0,0]}}', 0)), 'unknown-dtype', /"toString"/);
    expectError(() => decodeSafetensors(rawFile('{"w":{"dtype":4,"shape":[],"data_offsets":[0,4]}}', 4)), 'unknown-dtype', /number 4/);
  });

  it('rejects negative, fractional or non-numeric shape dimensions', () => {
    const at = (shape: string) => rawFile(`{"w":{"dtype":"F32","shape":${shape},"data_offsets":[0,8]}}`, 8);
    expectError(() => decodeSafetensors(at('[-2]')), 'invalid-shape', /shape \[-2\] has a dimension that is not a non-negative integer \(number -2\)/);
    expectError(() => decodeSafetensors(at('[1.5,2]')), 'invalid-shape', /\(number 1.5\)/);
    expectError(() => decodeSafetensors(at('["2"]')), 'invalid-shape', /\("2"\)/);
    expectError(() => decodeSafetensors(at('2')), 'invalid-shape', /shape must be an array/);
  });

  it('rejects offsets outside the data or malformed', () => {
    expectError(() => decodeSafetensors(rawFile(`{"w":{${F32_2},"data_offsets":[0,8]}}`, 4)), 'invalid-offsets', /\[0,8\] lie outside the data buffer of 4 bytes/);
    expectError(() => decodeSafetensors(rawFile(`{"w":{${F32_2},"data_offsets":[8,0]}}`, 8)), 'invalid-offsets', /\[8,0\] lie outside/);
    expectError(() => decodeSafetensors(rawFile(`{"w":{${F32_2},"data_offsets":[-8,0]}}`, 8)), 'invalid-offsets', /non-negative integers, got \[-8,0\]/);
    expectError(() => decodeSafetensors(rawFile(`{"w":{${F32_2},"data_offsets":[0]}}`, 8)), 'invalid-offsets', /must be \[begin, end\]/);
    expectError(
      () => decodeSafetensors(rawFile(`{"w":{${F32_2},"data_offsets":[0,1e300]}}`, 8)),
      'invalid-offsets',
      /must be \[begin, end\] with non-negative integers/,
    );
  });

  it('rejects overlapping tensors', () => {
    const h = `{"a":{${F32_2},"data_offsets":[0,8]},"b":{${F32_2},"data_offsets":[4,12]}}`;
    expectError(() => decodeSafetensors(rawFile(h, 12)), 'overlap', /tensor "b" \(bytes 4-12\) overlaps tensor "a" \(ends at 8\)/);
    const same = `{"a":{${F32_2},"data_offsets":[0,8]},"b":{${F32_2},"data_offsets":[0,8]}}`;
    expectError(() => decodeSafetensors(rawFile(same, 8)), 'overlap', /overlaps/);
  });

  it('rejects holes in the data buffer: at the start, between tensors and at the end', () => {
    const first = `{"a":{${F32_2},"data_offsets":[4,12]}}`;
    expectError(() => decodeSafetensors(rawFile(first, 12)), 'hole', /bytes 0-4 of the data buffer belong to no tensor \(before "a"\)/);
    const middle = `{"a":{${F32_2},"data_offsets":[0,8]},"b":{${F32_2},"data_offsets":[10,18]}}`;
    expectError(() => decodeSafetensors(rawFile(middle, 18)), 'hole', /bytes 8-10 .* \(before "b"\)/);
    const end = `{"a":{${F32_2},"data_offsets":[0,8]}}`;
    expectError(() => decodeSafetensors(rawFile(end, 9)), 'hole', /bytes 8-9 at the end of the data buffer belong to no tensor/);
    expectError(() => decodeSafetensors(rawFile('{}', 3)), 'hole', /bytes 0-3 at the end/);
  });

  it('rejects a shape whose size does not match the offsets, without trusting huge shapes', () => {
    expectError(
      () => decodeSafetensors(rawFile('{"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}', 8)),
      'size-mismatch',
      /"w": F32 shape \[3\] needs more than 8 bytes but data_offsets \[0,8\] span 8/,
    );
    expectError(
      () => decodeSafetensors(rawFile('{"w":{"dtype":"I64","shape":[2,0],"data_offsets":[0,8]}}', 8)),
      'size-mismatch',
      /needs 0 bytes but data_offsets \[0,8\] span 8/,
    );
    const huge = '{"w":{"dtype":"F64","shape":[4294967296,4294967296,4294967296],"data_offsets":[0,8]}}';
    expectError(() => decodeSafetensors(rawFile(huge, 8)), 'size-mismatch', /needs more than 8 bytes/);
  });

  it('rejects metadata that is not an object of strings', () => {
    expectError(() => decodeSafetensors(rawFile('{"__metadata__":{"num_classes":6}}', 0)), 'invalid-metadata', /value for "num_classes" must be a string, got number 6/);
    expectError(() => decodeSafetensors(rawFile('{"__metadata__":["a"]}', 0)), 'invalid-metadata', /must be an object of strings, got an array/);
  });

  it('rejects duplicate tensor names and duplicate keys that JSON.parse would drop', () => {
    const dup = `{"w":{${F32_2},"data_offsets":[0,8]},"w":{${F32_2},"data_offsets":[8,16]}}`;
    expectError(() => decodeSafetensors(rawFile(dup, 16)), 'duplicate-key', /duplicate tensor name "w"/);
    const escaped = `{"w":{${F32_2},"data_offsets":[0,8]},"\\u0077":{${F32_2},"data_offsets":[8,16]}}`;
    expectError(() => decodeSafetensors(rawFile(escaped, 16)), 'duplicate-key', /duplicate tensor name "w"/);
    const inner = '{"__metadata__":{"k":"a","k":"b"}}';
    expectError(() => decodeSafetensors(rawFile(inner, 0)), 'duplicate-key', /duplicate key "k"/);
    // Strings with braces, commas, colons and escaped quotes do not confuse the scan.
    const tricky = '{"__metadata__":{"k":"}{,:\\"","j":"[\\\\"}}';
    expect(decodeSafetensors(rawFile(tricky, 0)).metadata).toEqual({ k: '}{,:"', j: '[\\' });
  });

  it('keeps a "__proto__" name as data', () => {
    const f = rawFile(`{"__metadata__":{"__proto__":"x"},"__proto__":{${F32_2},"data_offsets":[0,8]}}`, 8);
    const { tensors, metadata } = decodeSafetensors(f);
    expect(tensors.get('__proto__')!.shape).toEqual([2]);
    expect(Object.getOwnPropertyDescriptor(metadata, '__proto__')?.value).toBe('x');
  });
});

describe('half-precision conversion', () => {
  it('rounds float32 to float16 to nearest even, with subnormals, overflow and NaN', () => {
    const cases: [number, number][] = [
      [0, 0x0000],
      [-0, 0x8000],
      [1, 0x3c00],
      [-2, 0xc000],
      [65504, 0x7bff],
      [65519, 0x7bff], // just below the rounding boundary to inf
      [65520, 0x7c00], // ties to even -> inf
      [Infinity, 0x7c00],
      [-Infinity, 0xfc00],
      [NaN, 0x7e00],
      [2 ** -24, 0x0001], // smallest subnormal
      [2 ** -25, 0x0000], // tie between 0 and the smallest subnormal -> even (0)
      [1.5 * 2 ** -24, 0x0002], // tie between 1 and 2 subnormal units -> even (2)
      [2 ** -14, 0x0400], // smallest normal
      [1 + 2 ** -11, 0x3c00], // tie -> even mantissa
      [1 + 3 * 2 ** -11, 0x3c02],
    ];
    for (const [x, bits] of cases) expect([x, float32ToFloat16Bits(x)]).toEqual([x, bits]);
    expect(float16BitsToFloat32(0x7bff)).toBe(65504);
    expect(float16BitsToFloat32(0x0001)).toBe(2 ** -24);
    expect(float16BitsToFloat32(0xfc00)).toBe(-Infinity);
    expect(float16BitsToFloat32(0x7e00)).toBeNaN();
  });

  it('rounds float32 to bfloat16 to nearest even', () => {
    expect(float32ToBfloat16Bits(1)).toBe(0x3f80);
    expect(float32ToBfloat16Bits(1 + 2 ** -8)).toBe(0x3f80); // tie -> even
    expect(float32ToBfloat16Bits(1 + 3 * 2 ** -8)).toBe(0x3f82);
    expect(float32ToBfloat16Bits(-Infinity)).toBe(0xff80);
    expect(float32ToBfloat16Bits(NaN)).toBe(0x7fc0);
  });
});

// Cross-check against an independent reader and writer in Python (numpy, and PyTorch for bfloat16 when present).
const PYTHON = '/usr/bin/python3';
const hasNumpy = existsSync(PYTHON) && spawnSync(PYTHON, ['-c', 'import numpy'], { encoding: 'utf8' }).status === 0;

const PY_READ = String.raw`
import json, struct, sys
import numpy as np
raw = open(sys.argv[1], 'rb').read()
(n,) = struct.unpack('<Q', raw[:8])
header = json.loads(raw[8:8 + n].decode('utf-8'))
data = raw[8 + n:]
np_types = {'F64': '<f8', 'F32': '<f4', 'F16': '<f2', 'BF16': '<u2', 'I64': '<i8', 'I32': '<i4', 'U8': 'u1', 'BOOL': '?'}
arrays = {}
for name, e in header.items():
    if name == '__metadata__':
        continue
    b, end = e['data_offsets']
    arrays[name] = np.frombuffer(data[b:end], dtype=np_types[e['dtype']]).reshape(e['shape'])
out = {'n': n, 'metadata': header.get('__metadata__')}
# The same header re-serialised compactly, padded with spaces, must give the same bytes.
compact = json.dumps(header, separators=(',', ':'), ensure_ascii=False).encode('utf-8')
out['same_header_bytes'] = raw[8:8 + n] == compact + b' ' * (n - len(compact)) and n % 8 == 0
src = arrays['src']
out['f16_bits_match'] = bool((arrays['src_f16'].view('<u2') == src.astype(np.float16).view('<u2')).all())
try:
    import torch
    bf = torch.from_numpy(src.copy()).to(torch.bfloat16).view(torch.int16).numpy().view('<u2')
    ours = arrays['src_bf16']
    nan = (ours & 0x7fff) > 0x7f80  # NaN payloads differ between converters (torch 1.13 gives 0xffff)
    out['bf16_bits_match'] = bool((ours[~nan] == bf[~nan]).all() and (np.isnan(src) == nan).all())
except ImportError:
    out['bf16_bits_match'] = None
out['values'] = {k: v.astype(np.float64).tolist() for k, v in arrays.items() if k not in ('src', 'src_f16', 'src_bf16')}
print(json.dumps(out))
`;

const PY_WRITE = String.raw`
import json, struct, sys
import numpy as np
tensors = {
    'conv.weight': np.arange(24, dtype=np.float32).reshape(2, 3, 2, 2) / 7,
    'half': np.array([0.1, -2.5, 60000.0, 6e-8], dtype=np.float16),
    'steps': np.array(41, dtype=np.int64),
    'ids': np.array([-3, 2**40], dtype=np.int64),
    'mask': np.array([True, False, True]),
    'f64': np.array([[1e-300, -0.0]], dtype=np.float64),
}
codes = {'float32': 'F32', 'float16': 'F16', 'int64': 'I64', 'bool': 'BOOL', 'float64': 'F64'}
header = {'__metadata__': {'fusion': 'concat', 'width': '0.25'}}
blobs, off = [], 0
for name, a in tensors.items():
    b = a.astype(a.dtype.newbyteorder('<')).tobytes()
    header[name] = {'dtype': codes[a.dtype.name], 'shape': list(a.shape), 'data_offsets': [off, off + len(b)]}
    blobs.append(b)
    off += len(b)
h = json.dumps(header).encode('utf-8')
h += b' ' * (-len(h) % 8)
open(sys.argv[1], 'wb').write(struct.pack('<Q', len(h)) + h + b''.join(blobs))
print(json.dumps({k: np.asarray(v, dtype=np.float64).ravel().tolist() for k, v in tensors.items()}))
`;

describe.skipIf(!hasNumpy)('cross-check with Python (numpy)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'safetensors-test-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('Python reads what we write: layout, values and half-precision rounding', () => {
    const src = new Float32Array([0, -0, 1, 65504, 65519, 65520, 1e-8, 2 ** -25, 2 ** -24, 1 + 2 ** -11, 1 + 2 ** -8, 3.14159, -2.5e-5, 1e30, Infinity, NaN]);
    const rnd = Float32Array.from({ length: 1000 }, (_, i) => Math.sin(i * 12.9898) * 43758.5453 * 10 ** ((i % 20) - 14));
    const all = new Float32Array([...src, ...rnd]);
    const file = encodeSafetensors(
      [
        { name: 'src', dtype: 'F32', shape: [all.length], data: all },
        { name: 'src_f16', dtype: 'F16', shape: [all.length], data: all },
        { name: 'src_bf16', dtype: 'BF16', shape: [all.length], data: all },
        { name: 'w', dtype: 'F32', shape: [2, 3], data: [0.5, -1, 2, 3, 4, 1e-3] },
        { name: 'nbt', dtype: 'I64', shape: [], data: [5] },
        { name: 'i32', dtype: 'I32', shape: [2], data: [-7, 7] },
        { name: 'u8', dtype: 'U8', shape: [3], data: [0, 128, 255] },
        { name: 'b', dtype: 'BOOL', shape: [2], data: [1, 0] },
        { name: 'd', dtype: 'F64', shape: [1], data: [Math.E] },
      ],
      { format_version: '1', class_names: '["a","b"]' },
    );
    const path = join(dir, 'ts.safetensors');
    writeFileSync(path, file);
    const r = spawnSync(PYTHON, ['-W', 'ignore', '-c', PY_READ, path], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    const out = JSON.parse(r.stdout);
    expect(out.metadata).toEqual({ format_version: '1', class_names: '["a","b"]' });
    expect(out.same_header_bytes).toBe(true);
    expect(out.f16_bits_match).toBe(true);
    if (out.bf16_bits_match !== null) expect(out.bf16_bits_match).toBe(true);
    expect(out.values.w).toEqual([Array.from(new Float32Array([0.5, -1, 2])), Array.from(new Float32Array([3, 4, 1e-3]))]);
    expect(out.values.nbt).toBe(5);
    expect(out.values.i32).toEqual([-7, 7]);
    expect(out.values.u8).toEqual([0, 128, 255]);
    expect(out.values.b).toEqual([1, 0]);
    expect(out.values.d).toEqual([Math.E]);
  });

  it('we read what Python writes', () => {
    const path = join(dir, 'py.safetensors');
    const r = spawnSync(PYTHON, ['-c', PY_WRITE, path], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    const expected = JSON.parse(r.stdout) as Record<string, number[]>;
    const { tensors, metadata } = decodeSafetensors(readFileSync(path));
    expect(metadata).toEqual({ fusion: 'concat', width: '0.25' });
    expect(tensors.get('conv.weight')!.shape).toEqual([2, 3, 2, 2]);
    expect(tensors.get('steps')!.shape).toEqual([]);
    for (const [name, values] of Object.entries(expected)) {
      const t = tensors.get(name)!;
      // Python sends float64 values; our float32 (or widened float16) values must equal them rounded to float32.
      const got = t.data instanceof Float64Array ? Array.from(t.data) : Array.from(toFloat32Array(t));
      const want = t.data instanceof Float64Array ? values : values.map((v) => Math.fround(v));
      expect([name, got]).toEqual([name, want]);
    }
    expect(tensors.get('f64')!.data).toBeInstanceOf(Float64Array);
    expect(Object.is((tensors.get('f64')!.data as Float64Array)[1], -0)).toBe(true);
  });
});
