/**
 * The few layer operations the ResNet needs, with PyTorch semantics, on any TF.js backend.
 *
 * - Padding is explicit and symmetric (PyTorch's `padding=p`), never TF.js `'same'`, which pads stride-2 layers
 *   asymmetrically.
 * - Where a backend has no `Conv2DBackpropFilter` kernel (TF.js 4.22's wasm backend), convolution runs through a
 *   `tf.customGrad` whose filter gradient is itself a forward convolution (dilated by the stride), so the model
 *   trains there too.
 * - Where a backend's `MaxPoolGrad` is unreliable (the wasm backend drops the gradient of windows whose values
 *   are all negative), max pooling's gradient is computed from the nine shifted strided views instead.
 * - BatchNorm in training mode normalises with the biased batch variance and returns the unbiased one for the
 *   running average, as PyTorch does; on webgpu it runs as fused kernels (webgpu/batchNorm.ts).
 */
import * as tf from '@tensorflow/tfjs';
import { fusedBatchNormSupported, fusedBatchNormTrain } from './webgpu/batchNorm';

/** Kernels HWIO (TF.js layout); activations NHWC. */
export type Tensor4D = tf.Tensor4D;

type CustomGradFunc = Parameters<typeof tf.customGrad>[0];

const customConvCache = new Map<string, (x: tf.Tensor4D, w: tf.Tensor4D) => tf.Tensor4D>();


/**
 * True when the filter gradient should be a forward convolution: the backend lacks a native kernel (wasm), or its
 * kernel is a naive loop that is far slower than its forward convolution (cpu: about 50x at ResNet sizes).
 */
export function backendNeedsCustomConvGrad(): boolean {
  const backend = tf.getBackend();
  return backend === 'cpu' || tf.getKernel('Conv2DBackpropFilter', backend) === undefined;
}

/** True when the active backend's MaxPoolGrad must not be trusted (see the module doc). */
export function backendNeedsCustomMaxPoolGrad(): boolean {
  const backend = tf.getBackend();
  return backend === 'wasm' || tf.getKernel('MaxPoolGrad', backend) === undefined;
}

/**
 * Filter gradient of a stride-s, pad-p convolution as a forward convolution:
 * dW[kh,kw,ci,co] = sum_{n,i,j} xpad[n, i*s+kh, j*s+kw, ci] * dy[n,i,j,co],
 * i.e. a stride-1 convolution of x (channels and batch swapped) with dy as the filter, dilated by s.
 */
export function convFilterGradient(x: tf.Tensor4D, dy: tf.Tensor4D, kernelH: number, kernelW: number, stride: number, pad: number): tf.Tensor4D {
  return tf.tidy(() => {
    const xT = tf.transpose(x, [3, 1, 2, 0]); // [Ci, H, W, N]
    const dyT = tf.transpose(dy, [1, 2, 0, 3]); // [Ho, Wo, N, Co]
    // Explicit padding: TF.js 4.22 computes the output width of a numeric `pad` from the filter's height, which is
    // wrong for this non-square "filter".
    const padding: [[number, number], [number, number], [number, number], [number, number]] = [[0, 0], [pad, pad], [pad, pad], [0, 0]];
    const full = tf.conv2d(xT, dyT, 1, padding, 'NHWC', stride); // [Ci, >=kH, >=kW, Co]
    const cropped = full.shape[1] === kernelH && full.shape[2] === kernelW ? full : tf.slice(full, [0, 0, 0, 0], [-1, kernelH, kernelW, -1]);
    return tf.transpose(cropped, [1, 2, 0, 3]); // [kH, kW, Ci, Co]
  });
}

/**
 * Input gradient of a stride-s, pad-p convolution as a forward convolution: dy upsampled by s (zeros between),
 * padded by k - 1 - p, convolved with the kernel rotated 180 degrees and its in/out channels swapped.
 * (TF.js 4.22's wasm Conv2DBackpropInput is a plain loop, about 30x slower than its XNNPACK forward convolution.)
 */
export function convInputGradient(dy: tf.Tensor4D, kernelHWIO: tf.Tensor4D, inputShape: [number, number, number, number], stride: number, pad: number): tf.Tensor4D {
  return tf.tidy(() => {
    const [n, h, w] = inputShape;
    const [kh, kw] = kernelHWIO.shape;
    const [, ho, wo, co] = dy.shape;
    let up: tf.Tensor4D = dy;
    if (stride > 1) {
      up = tf.reshape(tf.pad(tf.reshape(dy, [n, ho, 1, wo, 1, co]), [[0, 0], [0, 0], [0, stride - 1], [0, 0], [0, stride - 1], [0, 0]]), [n, ho * stride, wo * stride, co]);
    }
    // Rows needed: h + kh - 1 after a left pad of kh - 1 - pad; crop or pad the upsampled map to fit.
    const fit = (len: number, k: number, size: number): [number, number] => [k - 1 - pad, size + k - 1 - (k - 1 - pad) - len];
    const [top, bottomFit] = fit(up.shape[1], kh, h);
    const [left, rightFit] = fit(up.shape[2], kw, w);
    let bottom = bottomFit;
    let right = rightFit;
    if (bottom < 0 || right < 0) {
      up = tf.slice(up, [0, 0, 0, 0], [-1, up.shape[1] + Math.min(0, bottom), up.shape[2] + Math.min(0, right), -1]);
      bottom = Math.max(0, bottom);
      right = Math.max(0, right);
    }
    // Rotate by 180 degrees as a gather of the kh*kw rows (contiguous copies; wasm's Reverse kernel is slow).
    const [, , ci, coK] = kernelHWIO.shape;
    const rows = tf.reshape(kernelHWIO, [kh * kw, ci * coK]);
    const reversedIndex = tf.tensor1d(Array.from({ length: kh * kw }, (_, i) => kh * kw - 1 - i), 'int32');
    const rotated = tf.reshape(tf.gather(rows, reversedIndex), [kh, kw, ci, coK]);
    const flipped = tf.transpose(rotated, [0, 1, 3, 2]) as tf.Tensor4D;
    return tf.conv2d(up, flipped, 1, [[0, 0], [top, bottom], [left, right], [0, 0]]);
  });
}

function customConv(stride: number, pad: number, inputGradient: boolean): (x: tf.Tensor4D, w: tf.Tensor4D) => tf.Tensor4D {
  const key = `${stride}/${pad}/${inputGradient}`;
  let f = customConvCache.get(key);
  if (!f) {
    const g = tf.customGrad(((x: tf.Tensor, w: tf.Tensor, save: tf.GradSaveFunc) => {
      const x4 = x as tf.Tensor4D;
      const w4 = w as tf.Tensor4D;
      save([x4, w4]);
      return {
        value: tf.conv2d(x4, w4, stride, pad),
        gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
          const [xs, ws] = saved as [tf.Tensor4D, tf.Tensor4D];
          const dy4 = dy as tf.Tensor4D;
          const dx = inputGradient ? convInputGradient(dy4, ws, xs.shape as [number, number, number, number], stride, pad) : tf.zerosLike(xs);
          const dw = convFilterGradient(xs, dy4, ws.shape[0], ws.shape[1], stride, pad);
          return [dx, dw];
        },
      };
    }) as unknown as CustomGradFunc);
    f = g as unknown as (x: tf.Tensor4D, w: tf.Tensor4D) => tf.Tensor4D;
    customConvCache.set(key, f);
  }
  return f;
}

/**
 * 2-D convolution, NHWC input, HWIO kernel, symmetric zero padding `pad` (PyTorch `padding=pad`).
 * `inputGradient: false` (the first layer, fed with data) skips computing the gradient of x where gradients are
 * custom.
 */
export function conv2d(x: tf.Tensor4D, kernelHWIO: tf.Tensor4D, stride: number, pad: number, inputGradient = true): tf.Tensor4D {
  if (backendNeedsCustomConvGrad()) return customConv(stride, pad, inputGradient)(x, kernelHWIO);
  return tf.conv2d(x, kernelHWIO, stride, pad);
}

/**
 * Max pooling with a k x k window, stride s and symmetric padding p (padding never wins, as PyTorch's -inf pad).
 * `nonNegativeInput`: the caller guarantees x >= 0 (see below).
 * The gradient goes to the first maximum of each window in row-major order (PyTorch's choice).
 */
export function maxPool(x: tf.Tensor4D, size: number, stride: number, pad: number, nonNegativeInput = false): tf.Tensor4D {
  // With x >= 0 (after a ReLU) the wasm kernel's only flaw, windows without a positive value, routes gradient
  // to positions whose ReLU gradient is 0 anyway, so its native MaxPoolGrad is exact for the model.
  if (nonNegativeInput || !backendNeedsCustomMaxPoolGrad()) return tf.maxPool(x, size, stride, pad);
  const key = `${size}/${stride}/${pad}`;
  let f = maxPoolCache.get(key);
  if (!f) {
    const g = tf.customGrad(((input: tf.Tensor, save: tf.GradSaveFunc) => {
      const x4 = input as tf.Tensor4D;
      const y = tf.maxPool(x4, size, stride, pad);
      save([x4, y]);
      return {
        value: y,
        gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => maxPoolGradient(saved[0] as tf.Tensor4D, saved[1] as tf.Tensor4D, dy as tf.Tensor4D, size, stride, pad),
      };
    }) as unknown as CustomGradFunc);
    f = g as unknown as (x: tf.Tensor4D) => tf.Tensor4D;
    maxPoolCache.set(key, f);
  }
  return f(x);
}
const maxPoolCache = new Map<string, (x: tf.Tensor4D) => tf.Tensor4D>();

/**
 * Gradient of max pooling from shifted strided views: for each window offset (row-major), the positions where the
 * view equals the pooled maximum and no earlier offset already claimed it receive dy; the views are scattered
 * back by padding. Exact for any input sign, ties to the first maximum.
 */
export function maxPoolGradient(x: tf.Tensor4D, y: tf.Tensor4D, dy: tf.Tensor4D, size: number, stride: number, pad: number): tf.Tensor4D {
  return tf.tidy(() => {
    const [n, h, w, c] = x.shape;
    const [, ho, wo] = y.shape;
    const hp = h + 2 * pad;
    const wp = w + 2 * pad;
    const xPad = tf.pad(x, [[0, 0], [pad, pad], [pad, pad], [0, 0]], -Infinity);
    let claimed = tf.zerosLike(y);
    let dx: tf.Tensor4D = tf.zeros([n, hp, wp, c]);
    for (let kh = 0; kh < size; kh++) {
      for (let kw = 0; kw < size; kw++) {
        // View v[i,j] = xPad[i*s + kh, j*s + kw].
        const view = tf.stridedSlice(xPad, [0, kh, kw, 0], [n, kh + (ho - 1) * stride + 1, kw + (wo - 1) * stride + 1, c], [1, stride, stride, 1]) as tf.Tensor4D;
        const hit = tf.mul(tf.cast(tf.equal(view, y), 'float32'), tf.sub(1, claimed));
        claimed = tf.add(claimed, hit);
        const g = tf.mul(hit, dy) as tf.Tensor4D;
        dx = tf.add(dx, scatterStrided(g, kh, kw, stride, hp, wp)) as tf.Tensor4D;
      }
    }
    return tf.slice(dx, [0, pad, pad, 0], [n, h, w, c]);
  });
}

/** Places g[i,j] at (i*s + oh, j*s + ow) of an hp x wp zero map. */
function scatterStrided(g: tf.Tensor4D, oh: number, ow: number, stride: number, hp: number, wp: number): tf.Tensor4D {
  const [n, ho, wo, c] = g.shape;
  let t: tf.Tensor = g;
  if (stride > 1) {
    // Interleave zeros: [n, ho, 1, wo, 1, c] padded to [n, ho, s, wo, s, c] then flattened.
    t = tf.reshape(t, [n, ho, 1, wo, 1, c]);
    t = tf.pad(t, [[0, 0], [0, 0], [0, stride - 1], [0, 0], [0, stride - 1], [0, 0]]);
    t = tf.reshape(t, [n, ho * stride, wo * stride, c]);
  }
  const rows = Math.min(ho * stride, hp - oh);
  const cols = Math.min(wo * stride, wp - ow);
  t = tf.slice(t, [0, 0, 0, 0], [n, rows, cols, c]);
  return tf.pad(t, [[0, 0], [oh, hp - oh - rows], [ow, wp - ow - cols], [0, 0]]) as tf.Tensor4D;
}

/** PyTorch BatchNorm2d constants. */
export const BN_EPSILON = 1e-5;
export const BN_MOMENTUM = 0.1;

export interface BatchNormResult {
  y: tf.Tensor4D;
  /** Training mode only: the batch mean and the unbiased batch variance, for the running averages. */
  batchMean?: tf.Tensor1D;
  batchVarUnbiased?: tf.Tensor1D;
}

/** BatchNorm2d over NHWC: training mode uses batch statistics, inference the running ones. */
export function batchNorm(
  x: tf.Tensor4D,
  gamma: tf.Tensor1D,
  beta: tf.Tensor1D,
  runningMean: tf.Tensor1D,
  runningVar: tf.Tensor1D,
  training: boolean,
): BatchNormResult {
  if (!training) return { y: tf.batchNorm4d(x, runningMean, runningVar, beta, gamma, BN_EPSILON) };
  if (fusedBatchNormSupported(x)) {
    const r = fusedBatchNormTrain(x, gamma, beta, BN_EPSILON);
    return { y: r.y, batchMean: r.mean, batchVarUnbiased: r.varUnbiased };
  }
  const { mean, variance } = tf.moments(x, [0, 1, 2]);
  // Written with broadcasting ops rather than batchNorm4d: their gradients reduce instead of tiling, which is
  // several times faster on wasm and cpu.
  const scale = tf.mul(gamma, tf.rsqrt(tf.add(variance, BN_EPSILON)));
  const y = tf.add(tf.mul(tf.sub(x, mean), scale), beta) as tf.Tensor4D;
  const count = x.shape[0] * x.shape[1] * x.shape[2];
  const unbiased = count > 1 ? tf.mul(variance, count / (count - 1)) : variance;
  return { y, batchMean: mean as tf.Tensor1D, batchVarUnbiased: unbiased as tf.Tensor1D };
}
