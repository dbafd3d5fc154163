import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { batchNorm, conv2d, maxPool } from './ops';
import { maxRelativeError, useBackend } from '../../test/support/testBackend';

/** Naive NHWC convolution with symmetric zero padding: an independent reference. */
function naiveConv(x: number[][][], w: number[][][][], stride: number, pad: number): number[][][] {
  const H = x.length;
  const W = x[0].length;
  const k = w.length;
  const outC = w[0][0][0].length;
  const Ho = Math.floor((H + 2 * pad - k) / stride) + 1;
  const Wo = Math.floor((W + 2 * pad - k) / stride) + 1;
  const out: number[][][] = [];
  for (let i = 0; i < Ho; i++) {
    out.push([]);
    for (let j = 0; j < Wo; j++) {
      const v = new Array(outC).fill(0);
      for (let a = 0; a < k; a++)
        for (let b = 0; b < k; b++) {
          const y = i * stride + a - pad;
          const xx = j * stride + b - pad;
          if (y < 0 || y >= H || xx < 0 || xx >= W) continue;
          for (let c = 0; c < x[0][0].length; c++) for (let o = 0; o < outC; o++) v[o] += x[y][xx][c] * w[a][b][c][o];
        }
      out[i].push(v);
    }
  }
  return out;
}

describe('conv2d with explicit symmetric padding', () => {
  it('matches a hand-computed 3x3 stride-2 pad-1 case (PyTorch padding, not TF "same")', async () => {
    await useBackend('cpu');
    // 4x4 single-channel input 1..16, all-ones 3x3 kernel: each output sums its (zero-padded) window.
    const x = tf.tensor4d(Array.from({ length: 16 }, (_, i) => i + 1), [1, 4, 4, 1]);
    const w = tf.ones([3, 3, 1, 1]) as tf.Tensor4D;
    const y = conv2d(x, w, 2, 1);
    expect(y.shape).toEqual([1, 2, 2, 1]);
    // Windows centred at (0,0), (0,2), (2,0), (2,2) of the padded image:
    // (0,0): 1+2+5+6 = 14; (0,2): 2+3+4+6+7+8 = 30; (2,0): 5+6+9+10+13+14 = 57; (2,2): 6+7+8+10+11+12+14+15+16 = 99.
    expect(Array.from(await y.data())).toEqual([14, 30, 57, 99]);
  });

  it('agrees with a naive convolution on random data, every stride/padding the ResNet uses, on wasm and cpu', async () => {
    const rand = (n: number, seed: number) => Array.from({ length: n }, (_, i) => Math.sin(i * 12.9898 + seed) * 0.5);
    for (const backend of ['cpu', 'wasm'] as const) {
      await useBackend(backend);
      for (const [H, W, k, s, p] of [
        [9, 7, 7, 2, 3],
        [6, 5, 3, 1, 1],
        [7, 6, 3, 2, 1],
        [5, 4, 1, 2, 0],
      ]) {
        const xs = rand(H * W * 2, H);
        const ws = rand(k * k * 2 * 3, k);
        const x = tf.tensor4d(xs, [1, H, W, 2]);
        const w = tf.tensor4d(ws, [k, k, 2, 3]);
        const got = await conv2d(x, w, s, p).data();
        const xa = (await x.array())[0];
        const wa = await w.array();
        const want = naiveConv(xa, wa, s, p).flat(2);
        expect(maxRelativeError(got, want)).toBeLessThan(1e-5);
      }
    }
  });
});

describe('maxPool 3x3 stride 2 pad 1', () => {
  it('matches hand-computed values (padding never wins, even for negative inputs)', async () => {
    for (const backend of ['cpu', 'wasm'] as const) {
      await useBackend(backend);
      const x = tf.tensor4d([-1, -2, -3, -4, -5, -6, -7, -8, -9, -10, -11, -12, -13, -14, -15, -16], [1, 4, 4, 1]);
      const y = maxPool(x, 3, 2, 1);
      // Windows: rows/cols {0,1}, {0,1,2}/{1,2,3}: maxima -1, -2, -5, -6.
      expect(Array.from(await y.data())).toEqual([-1, -2, -5, -6]);
    }
  });

  it('routes the gradient of all-negative windows on wasm exactly as on cpu', async () => {
    const xs = [-1, -2, -3, -4, -5, -6, -7, -8, -9, -10, -11, -12, -13, -14, -15, -16];
    const grads: number[][] = [];
    for (const backend of ['cpu', 'wasm'] as const) {
      await useBackend(backend);
      const g = tf.grad((x: tf.Tensor) => tf.sum(tf.mul(maxPool(x as tf.Tensor4D, 3, 2, 1), tf.tensor4d([1, 2, 3, 4], [1, 2, 2, 1]))));
      grads.push(Array.from(await g(tf.tensor4d(xs, [1, 4, 4, 1])).data()));
    }
    // The maxima -1, -2, -5, -6 sit at positions 0, 1, 4, 5 and receive the upstream 1, 2, 3, 4.
    const want = new Array(16).fill(0);
    want[0] = 1;
    want[1] = 2;
    want[4] = 3;
    want[5] = 4;
    expect(grads[0]).toEqual(want);
    expect(grads[1]).toEqual(want);
  });
});

describe('custom gradients (wasm) against the cpu backend', () => {
  it('conv filter and input gradients agree within 1e-4 relative for every conv shape of the ResNet', async () => {
    const cases: [number, number, number, number, number, number, number][] = [
      // H, W, Cin, Cout, k, stride, pad
      [33, 24, 1, 4, 7, 2, 3],
      [9, 6, 4, 4, 3, 1, 1],
      [9, 6, 4, 8, 3, 2, 1],
      [9, 6, 4, 8, 1, 2, 0],
      [2, 1, 8, 8, 3, 1, 1],
    ];
    for (const [H, W, ci, co, k, s, p] of cases) {
      const results: Float32Array[][] = [];
      for (const backend of ['cpu', 'wasm'] as const) {
        await useBackend(backend);
        const x = tf.tensor4d(Array.from({ length: 3 * H * W * ci }, (_, i) => Math.sin(i * 0.37)), [3, H, W, ci]);
        const w = tf.tensor4d(Array.from({ length: k * k * ci * co }, (_, i) => Math.cos(i * 0.71)), [k, k, ci, co]);
        const up = tf.tensor4d(Array.from({ length: 3 * Math.floor((H + 2 * p - k) / s + 1) * Math.floor((W + 2 * p - k) / s + 1) * co }, (_, i) => Math.sin(i * 1.3)), [3, Math.floor((H + 2 * p - k) / s + 1), Math.floor((W + 2 * p - k) / s + 1), co]);
        const [dx, dw] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(conv2d(a as tf.Tensor4D, b as tf.Tensor4D, s, p), up)))([x, w]);
        results.push([(await dx.data()) as Float32Array, (await dw.data()) as Float32Array]);
      }
      expect(maxRelativeError(results[1][0], results[0][0])).toBeLessThan(1e-4);
      expect(maxRelativeError(results[1][1], results[0][1])).toBeLessThan(1e-4);
    }
  });

  it('the training-mode BatchNorm gradient matches finite differences', async () => {
    await useBackend('cpu');
    const n = 2 * 3 * 2 * 2;
    const xs = Array.from({ length: n }, (_, i) => Math.sin(i * 1.7) + 0.1 * i);
    const up = tf.tensor4d(Array.from({ length: n }, (_, i) => Math.cos(i * 0.9)), [2, 3, 2, 2]);
    const gamma = tf.tensor1d([1.5, -0.5]);
    const beta = tf.tensor1d([0.2, 0.1]);
    const f = (x: tf.Tensor) => tf.sum(tf.mul(batchNorm(x as tf.Tensor4D, gamma, beta, tf.zeros([2]), tf.ones([2]), true).y, up));
    const analytic = await tf.grad(f)(tf.tensor4d(xs, [2, 3, 2, 2])).data();
    const h = 1e-2;
    for (const i of [0, 5, 11, 17, 23]) {
      const plus = xs.slice();
      const minus = xs.slice();
      plus[i] += h;
      minus[i] -= h;
      const fd = ((await f(tf.tensor4d(plus, [2, 3, 2, 2])).data())[0] - (await f(tf.tensor4d(minus, [2, 3, 2, 2])).data())[0]) / (2 * h);
      expect(Math.abs(analytic[i] - fd)).toBeLessThan(2e-2);
    }
  });

  it('BatchNorm in training mode returns the unbiased batch variance for the running average', async () => {
    await useBackend('cpu');
    // One channel, values 1, 2, 3, 6: mean 3, biased var 3.5, unbiased 14/3.
    const r = batchNorm(tf.tensor4d([1, 2, 3, 6], [1, 2, 2, 1]), tf.ones([1]), tf.zeros([1]), tf.zeros([1]), tf.ones([1]), true);
    expect((await r.batchMean!.data())[0]).toBeCloseTo(3, 6);
    expect((await r.batchVarUnbiased!.data())[0]).toBeCloseTo(14 / 3, 5);
    // y = (x - 3) / sqrt(3.5 + 1e-5)
    const y = await r.y.data();
    expect(y[3]).toBeCloseTo(3 / Math.sqrt(3.5 + 1e-5), 5);
  });
});
