import { describe, expect, it } from 'vitest';
import { decodeSafetensors } from './decode';
import { encodeSafetensors } from './encode';
import { DEFAULT_MAX_HEADER_BYTES, parseSafetensorsHeader, readSafetensorsHeaderFromBlob, readSafetensorsHeaderLength } from './header';
import { expectError, F32_2, rawFile } from '../../../test/support/safetensorsFiles';

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
