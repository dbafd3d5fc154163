import { describe, expect, it } from 'vitest';
import { classLabels, overallAccuracy, perClassAccuracy, rowNormalised } from './confusion';

describe('confusion', () => {
  const m = [
    [8, 2, 0],
    [1, 3, 0],
    [0, 0, 0],
  ];
  it('per-class accuracy is the diagonal over the row sum, null for empty rows', () => {
    expect(perClassAccuracy(m)).toEqual([0.8, 0.75, null]);
  });
  it('overall accuracy is the trace over the total', () => {
    expect(overallAccuracy(m)).toBe(11 / 14);
    expect(overallAccuracy([])).toBeNull();
  });
  it('row-normalises', () => {
    expect(rowNormalised(m)).toEqual([
      [0.8, 0.2, 0],
      [0.25, 0.75, 0],
      [0, 0, 0],
    ]);
  });
  it('names missing classes', () => {
    expect(classLabels(['a'], 2)).toEqual(['a', 'class 1']);
  });
});
