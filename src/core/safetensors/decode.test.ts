import { describe, expect, it } from 'vitest';
import { decodeSafetensors, int64ToNumbers, toFloat32Array } from './decode';
import { encodeSafetensors } from './encode';
import { F32_2, rawFile } from '../../../test/support/safetensorsFiles';

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
