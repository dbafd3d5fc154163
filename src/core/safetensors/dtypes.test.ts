import { describe, expect, it } from 'vitest';
import { checkDtype, shapeElementCount } from './dtypes';
import { expectError } from '../../../test/support/safetensorsFiles';

describe('shapeElementCount (the one shape check of the writer and the reader)', () => {
  it('counts elements: a scalar holds one, a zero dimension none', () => {
    expect(shapeElementCount('w', [])).toBe(1);
    expect(shapeElementCount('w', [2, 3, 4])).toBe(24);
    expect(shapeElementCount('w', [5, 0, 7])).toBe(0);
    // A zero anywhere wins even over dimensions whose product would be beyond 2^53.
    expect(shapeElementCount('w', [2 ** 40, 2 ** 40, 0])).toBe(0);
  });

  it('gives null for counts beyond 2^53 - 1, 2^53 - 1 itself is fine', () => {
    expect(shapeElementCount('w', [2 ** 32, 2 ** 32])).toBeNull();
    expect(shapeElementCount('w', [Number.MAX_SAFE_INTEGER])).toBe(Number.MAX_SAFE_INTEGER);
    expect(shapeElementCount('w', [2 ** 26, 2 ** 26])).toBe(2 ** 52);
    expect(shapeElementCount('w', [2 ** 26, 2 ** 27])).toBeNull(); // 2^53 is one past the largest safe integer
  });

  it('rejects what is not an array of non-negative safe integers, naming the tensor', () => {
    expectError(() => shapeElementCount('conv', 3), 'invalid-shape', /^safetensors: tensor "conv": shape must be an array, got number 3$/);
    expectError(() => shapeElementCount('conv', [2, -1]), 'invalid-shape', /shape \[2,-1\] has a dimension that is not a non-negative integer \(number -1\)/);
    expectError(() => shapeElementCount('conv', [2 ** 53]), 'invalid-shape', /\(number 9007199254740992\)/);
    expectError(() => shapeElementCount('conv', ['2']), 'invalid-shape', /\("2"\)/);
  });
});

describe('checkDtype', () => {
  it('accepts the format’s dtypes only, not inherited keys', () => {
    expect(() => checkDtype('w', 'BF16')).not.toThrow();
    expectError(() => checkDtype('w', 'f32'), 'unknown-dtype', /"w": unknown dtype "f32" \(supported: F64, F32, F16, BF16, I64/);
    expectError(() => checkDtype('w', 'constructor'), 'unknown-dtype', /"constructor"/);
  });
});
