import { describe, expect, it } from 'vitest';
import { float16BitsToFloat32, float32ToBfloat16Bits, float32ToFloat16Bits } from './half';

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
