import { describe, expect, it } from 'vitest';
import { drawableCount, fitToBox } from './umapDraw';

describe('fitToBox', () => {
  it('centres and scales with one factor for both axes, y up', () => {
    // x spans 0..4, y spans 0..2 in a 100 x 100 box with pad 10: scale = min(80/4, 80/2) = 20.
    const px = fitToBox(new Float32Array([0, 0, 4, 2, 2, 1]), { width: 100, height: 100, pad: 10 });
    expect(Array.from(px)).toEqual([10, 70, 90, 30, 50, 50]);
  });

  it('skips non-finite points and handles a single point', () => {
    const px = fitToBox(new Float32Array([1, 1, Number.NaN, 0, 3, 1]), { width: 50, height: 50, pad: 5 });
    expect(Number.isNaN(px[2])).toBe(true);
    expect(drawableCount(px)).toBe(2);
    expect(Array.from(fitToBox(new Float32Array([7, 7]), { width: 50, height: 40, pad: 5 }))).toEqual([25, 20]);
    expect(drawableCount(fitToBox(new Float32Array([Number.NaN, 1]), { width: 10, height: 10, pad: 0 }))).toBe(0);
  });
});
