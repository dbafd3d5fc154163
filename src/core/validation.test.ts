import { describe, expect, it } from 'vitest';
import { ArrayClipStore } from './dataset';
import { runResults } from './results';
import { holdOut, SubsetClipStore } from './validation';
import type { EpochMetrics } from './events';

describe('the validation split', () => {
  it('holds out round(fraction * n) clips of every class, the same for the same seed, none at fraction 0', () => {
    // Class 0: 10 clips, class 1: 5 clips, class 2: 1 clip (kept for training: a class needs 2 to hold one out).
    const labels = Int32Array.from([...Array(10).fill(0), ...Array(5).fill(1), 2]);
    const a = holdOut(labels, 0.2, 7);
    const count = (idx: number[], c: number) => idx.filter((i) => labels[i] === c).length;
    expect([count(a.val, 0), count(a.val, 1), count(a.val, 2)]).toEqual([2, 1, 0]);
    expect([...a.train, ...a.val].sort((x, y) => x - y)).toEqual(Array.from(labels.keys()));
    expect(a.train).toEqual([...a.train].sort((x, y) => x - y));
    expect(holdOut(labels, 0.2, 7)).toEqual(a);
    expect(holdOut(labels, 0.2, 8).val).not.toEqual(a.val);
    expect(holdOut(labels, 0, 7)).toEqual({ train: Array.from(labels.keys()), val: [] });
  });

  it('a subset reads the clips it names, in its order', () => {
    const base = new ArrayClipStore(Int32Array.from([0, 1, 2]), { spectrograms: [Float32Array.of(0), Float32Array.of(1), Float32Array.of(2)], rgb: [[Uint8Array.of(10)], [Uint8Array.of(11)], [Uint8Array.of(12)]] });
    const sub = new SubsetClipStore(base, [2, 0]);
    const out = new Float32Array(2);
    sub.readAudio(0, out, 0);
    sub.readAudio(1, out, 1);
    expect(Array.from(out)).toEqual([2, 0]);
    expect(Array.from(sub.labels)).toEqual([2, 0]);
    expect(Array.from(sub.readFrame(0, 0, 'rgb'))).toEqual([12]);
  });

  it('best is the test accuracy at the best validation epoch when every epoch has one, else the best test epoch', () => {
    const e = (test: number, val?: number): Pick<EpochMetrics, 'testAcc' | 'audio' | 'visual' | 'val'> => ({
      testAcc: test,
      audio: { trainAcc: 0, testAcc: test / 2 },
      visual: { trainAcc: 0, testAcc: test / 4 },
      ...(val === undefined ? {} : { val: { fused: val, audio: 1 - val, visual: val } }),
    });
    // Test peaks at epoch 2 (0.9); validation peaks at epoch 3 (0.8), where test reads 0.7.
    const withVal = runResults([e(0.5, 0.4), e(0.9, 0.6), e(0.7, 0.8), e(0.6, 0.7)])!;
    expect(withVal.rule).toBe('validation');
    expect(withVal.best.fused).toBe(0.7);
    // Each head by its own validation accuracy: audio's val (1 - v) is best at epoch 1.
    expect(withVal.best.audio).toBe(0.25);
    expect(withVal.final.fused).toBe(0.6);
    const without = runResults([e(0.5), e(0.9), e(0.7), e(0.6)])!;
    expect(without.rule).toBe('test');
    expect(without.best.fused).toBe(0.9);
  });
});
