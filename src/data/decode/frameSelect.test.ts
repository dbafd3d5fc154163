import { describe, expect, it } from 'vitest';
import { evenlySpaced, oneFpsIndices, oneFpsTimestamps } from './frameSelect';

describe('1 fps frame times', () => {
  // Frame counts measured with native ffmpeg 5.1 on 10 fps H.264 clips and the select filter of oneFpsScaleFilter:
  // 1 s -> 1, 1.2 s -> 2, 1.5 s -> 2, 1.9 s -> 2, 2 s -> 2, 2.5 s -> 3.
  it.each([
    [1, 1],
    [1.2, 2],
    [1.5, 2],
    [1.9, 2],
    [2, 2],
    [2.5, 3],
  ])('a %s s clip gives %i frames, as ffmpeg', (seconds, count) => {
    expect(oneFpsTimestamps(0, seconds)).toHaveLength(count);
  });

  it('starts at the first frame and keeps at least one', () => {
    expect(oneFpsTimestamps(0.5, 3)).toEqual([0.5, 1.5, 2.5]);
    expect(oneFpsTimestamps(0, 0)).toEqual([0]);
    expect(oneFpsTimestamps(0, NaN)).toEqual([0]);
  });
});

describe('evenly spaced subsets', () => {
  it('keeps all when there are few, the middle for one, spreads otherwise', () => {
    expect(evenlySpaced(3, 5)).toEqual([0, 1, 2]);
    expect(evenlySpaced(5, 1)).toEqual([2]);
    expect(evenlySpaced(4, 1)).toEqual([2]);
    expect(evenlySpaced(10, 3)).toEqual([1, 5, 8]);
    expect(evenlySpaced(10, 2)).toEqual([2, 7]);
    expect(evenlySpaced(0, 3)).toEqual([]);
  });
});

describe('1 fps out of precomputed flow frames', () => {
  it('takes every fps-th frame', () => {
    expect(oneFpsIndices(9, 10)).toEqual([0]);
    expect(oneFpsIndices(75, 25)).toEqual([0, 25, 50]);
    expect(oneFpsIndices(76, 25)).toEqual([0, 25, 50, 75]);
    expect(oneFpsIndices(60, 29.97)).toEqual([0, 30]);
    expect(oneFpsIndices(30, 0)).toEqual([0, 25]);
    expect(oneFpsIndices(0, 25)).toEqual([]);
  });
});
