/**
 * The lab's webgpu convolution kernels (the GEMM of convGemm.ts for the filter gradient and the forward pass; the
 * package's input-gradient programs as registered) against the cpu backend, for every convolution shape of both
 * encoders (at a small width and image size), through WebGPU in Node (Dawn). Skipped, with the reason, where Dawn finds no
 * adapter (no Vulkan driver), in CI too: the GPU path is optional there.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { maxRelativeError } from '../../../test/support/testBackend';
import { initBackend } from '../backend';
import { AUDIO_NET, VISUAL_NET } from '../model';
import { conv2d } from '../ops';
import { ParamStore } from '../params';
import { Rng } from '../random';
import { resnetForward, resnetParamSpecs } from '../resnet';
import { planSplit } from './convGemm';
import { outSize, resnetConvLayers, type ConvLayer } from './layerShapes';
import { installNodeWebGpu } from './nodeWebGpu';
import { registerWebGpuKernels } from './register';

const gpu = await installNodeWebGpu();
if (!gpu.adapter) console.warn(`skipping the webgpu kernel tests: ${gpu.reason}`);

const WIDTH = 0.0625;
const LAYERS: ConvLayer[] = [...resnetConvLayers(AUDIO_NET, 2, 33, 26, 1, WIDTH), ...resnetConvLayers(VISUAL_NET, 2, 32, 32, 3, WIDTH)];

type Attrs = { strides: number; pad: number | 'same' | 'valid'; dataFormat: 'NHWC' };
const filterGrad = (x: tf.Tensor, dy: tf.Tensor, filterShape: number[], a: Attrs) => tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, { ...a, filterShape }) as tf.Tensor;
const inputGrad = (dy: tf.Tensor, filter: tf.Tensor, inputShape: number[], a: Attrs) => tf.engine().runKernel('Conv2DBackpropInput', { dy, filter }, { ...a, inputShape }) as tf.Tensor;

interface Case {
  x: Float32Array;
  w: Float32Array;
  dy: Float32Array;
  xShape: number[];
  wShape: number[];
  dyShape: number[];
  attrs: Attrs;
}

/** Random x, w, dy for a convolution, made on the cpu backend from a seed. */
async function makeCase(xShape: number[], wShape: number[], stride: number, pad: Attrs['pad'], seed: number): Promise<Case> {
  await initBackend('cpu');
  const attrs: Attrs = { strides: stride, pad, dataFormat: 'NHWC' };
  const x = tf.randomNormal(xShape, 0, 1, 'float32', seed);
  const w = tf.randomNormal(wShape, 0, 1, 'float32', seed + 1);
  const y = tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, stride, pad);
  const dy = tf.randomNormal(y.shape, 0, 1, 'float32', seed + 2);
  const c = { x: (await x.data()) as Float32Array, w: (await w.data()) as Float32Array, dy: (await dy.data()) as Float32Array, xShape, wShape, dyShape: dy.shape, attrs };
  tf.dispose([x, w, y, dy]);
  return c;
}

/** dW and dX of a case on the active backend, and the webgpu programs that ran (empty elsewhere). */
async function gradients(c: Case): Promise<{ dw: Float32Array; dx: Float32Array; programs: string }> {
  const x = tf.tensor(c.x, c.xShape);
  const w = tf.tensor(c.w, c.wShape);
  const dy = tf.tensor(c.dy, c.dyShape);
  const profile = await tf.profile(() => [filterGrad(x, dy, c.wShape, c.attrs), inputGrad(dy, w, c.xShape, c.attrs)]);
  const [dwT, dxT] = profile.result as tf.Tensor[];
  const out = { dw: (await dwT.data()) as Float32Array, dx: (await dxT.data()) as Float32Array, programs: profile.kernels.map((k) => String(k.extraInfo)).join(' ') };
  tf.dispose([x, w, dy, dwT, dxT]);
  return out;
}

async function compare(c: Case): Promise<{ dw: number; dx: number; programs: string }> {
  await initBackend('cpu');
  const want = await gradients(c);
  await initBackend('webgpu');
  const got = await gradients(c);
  return { dw: maxRelativeError(got.dw, want.dw), dx: maxRelativeError(got.dx, want.dx), programs: got.programs };
}

describe.skipIf(!gpu.adapter)('webgpu convolution gradients (lab kernels) against the cpu backend', () => {
  beforeAll(async () => {
    await initBackend('webgpu');
    tf.env().set('PROD', true);
  });

  it('the layer list is the model: every Conv2D of both encoders, with its input and kernel shape', async () => {
    await initBackend('cpu');
    const rng = new Rng(1);
    const params = new ParamStore([...resnetParamSpecs(AUDIO_NET, 1, WIDTH), ...resnetParamSpecs(VISUAL_NET, 3, WIDTH)], rng);
    const profile = await tf.profile(() =>
      tf.tidy(() => [
        resnetForward(params, AUDIO_NET, WIDTH, tf.zeros([2, 33, 26, 1]) as tf.Tensor4D, { training: false }),
        resnetForward(params, VISUAL_NET, WIDTH, tf.zeros([2, 32, 32, 3]) as tf.Tensor4D, { training: false }),
      ]),
    );
    tf.dispose(profile.result as tf.Tensor[]);
    params.dispose();
    const convs = profile.kernels.filter((k) => k.name === 'Conv2D').map((k) => JSON.stringify(k.inputShapes));
    expect(convs).toEqual(LAYERS.map((l) => JSON.stringify([l.inputNHWC, l.kernelHWIO])));
  });

  it('filter and input gradients (either input-gradient program) within 1e-4 of the cpu backend for every layer shape', async () => {
    let seed = 10;
    try {
      for (const layer of LAYERS) {
        const c = await makeCase(layer.inputNHWC, layer.kernelHWIO, layer.stride, layer.pad, (seed += 3));
        for (const [inputGradient, program] of [['direct', 'Conv2DDerInputProgram'], ['tiled', 'Conv2DDerInputMMProgram']] as const) {
          registerWebGpuKernels({ inputGradient });
          const r = await compare(c);
          expect(r.programs, layer.name).toContain('FilterGradientGemmProgram');
          expect(r.programs, layer.name).toContain(program);
          expect(r.dw, `${layer.name} dW`).toBeLessThan(1e-4);
          expect(r.dx, `${layer.name} dX (${inputGradient})`).toBeLessThan(1e-4);
        }
      }
    } finally {
      registerWebGpuKernels();
    }
  });

  it('the forward convolution (the GEMM) within 1e-4 of the cpu backend for every layer shape, odd channels and padding', async () => {
    const cases: [number[], number[], number, Attrs['pad']][] = [
      ...LAYERS.map((l) => [l.inputNHWC, l.kernelHWIO, l.stride, l.pad] as [number[], number[], number, number]),
      [[2, 9, 11, 3], [3, 3, 3, 5], 1, 1],
      [[2, 10, 9, 6], [3, 3, 6, 7], 2, 'same'],
      [[1, 8, 7, 5], [2, 3, 5, 3], 2, 'valid'],
    ];
    let seed = 40;
    for (const [xs, ws, s, p] of cases) {
      const c = await makeCase(xs, ws, s, p, (seed += 3));
      const forward = async () => {
        const x = tf.tensor4d(c.x, c.xShape as [number, number, number, number]);
        const w = tf.tensor4d(c.w, c.wShape as [number, number, number, number]);
        const profile = await tf.profile(() => tf.conv2d(x, w, s, p));
        const y = profile.result as tf.Tensor;
        const out = { y: (await y.data()) as Float32Array, programs: profile.kernels.map((k) => String(k.extraInfo)).join(' ') };
        tf.dispose([x, w, y]);
        return out;
      };
      await initBackend('cpu');
      const want = await forward();
      await initBackend('webgpu');
      const got = await forward();
      expect(got.programs).toContain('ConvForwardGemmProgram');
      expect(maxRelativeError(got.y, want.y), JSON.stringify([xs, ws, s, p])).toBeLessThan(1e-4);
    }
  });

  it('the split over k (several chunks and a sum) and the single-chunk path both agree', async () => {
    // The stem on a wider image is split (k = n * ho * wo is large, dW has one tile); a deep layer with few pixels is not.
    const split = { x: [2, 64, 48, 3], w: [7, 7, 3, 8], s: 2, p: 3 };
    const single = { x: [1, 3, 3, 64], w: [3, 3, 64, 64], s: 1, p: 1 };
    const plan = (t: typeof split) => {
      const [n, h, w, ci] = t.x;
      const [k, , , co] = t.w;
      const ho = outSize(h, k, t.s, t.p);
      const wo = outSize(w, k, t.s, t.p);
      return planSplit({ batch: n, inHeight: h, inWidth: w, inChannels: ci, outHeight: ho, outWidth: wo, outChannels: co, filterHeight: k, filterWidth: k, strideHeight: t.s, strideWidth: t.s, padTop: t.p, padLeft: t.p });
    };
    expect(plan(split).splits).toBeGreaterThan(1);
    expect(plan(single).splits).toBe(1);
    for (const t of [split, single]) {
      const r = await compare(await makeCase(t.x, t.w, t.s, t.p, 7));
      expect(r.programs).toContain(plan(t).splits > 1 ? 'SplitSumProgram' : 'FilterGradientGemmProgram');
      expect(r.dw).toBeLessThan(1e-4);
    }
  });

  it('odd channel counts (no vec4 path), TF.js "same" (asymmetric) and "valid" padding, non-square kernels', async () => {
    const cases: [number[], number[], number, Attrs['pad']][] = [
      [[2, 9, 11, 3], [3, 3, 3, 5], 1, 1],
      [[2, 10, 9, 6], [3, 3, 6, 7], 2, 'same'],
      [[1, 8, 7, 5], [2, 3, 5, 3], 2, 'valid'],
      [[3, 8, 8, 70], [3, 3, 70, 66], 2, 1],
    ];
    for (const [xs, ws, s, p] of cases) {
      const r = await compare(await makeCase(xs, ws, s, p, 3));
      expect(r.dw, JSON.stringify([xs, ws, s, p])).toBeLessThan(1e-4);
      expect(r.dx, JSON.stringify([xs, ws, s, p])).toBeLessThan(1e-4);
    }
  });

  it('the package kernels stay reachable (for the benchmarks) and agree too', async () => {
    registerWebGpuKernels({ filterGradient: 'package', inputGradient: 'tiled', forward: 'package' });
    try {
      const r = await compare(await makeCase([2, 9, 8, 8], [3, 3, 8, 12], 2, 1, 5));
      expect(r.programs).toContain('Conv2DDerFilterProgram');
      expect(r.programs).toContain('Conv2DDerInputMMProgram');
      expect(r.dw).toBeLessThan(1e-4);
      expect(r.dx).toBeLessThan(1e-4);
    } finally {
      registerWebGpuKernels();
    }
  });

  it('ops.conv2d trains through the lab kernels: tf.grad on webgpu equals the cpu (custom gradient) path', async () => {
    const c = await makeCase([2, 12, 10, 4], [3, 3, 4, 8], 2, 1, 21);
    const grads = async () => {
      const x = tf.tensor4d(c.x, c.xShape as [number, number, number, number]);
      const w = tf.tensor4d(c.w, c.wShape as [number, number, number, number]);
      const dy = tf.tensor(c.dy, c.dyShape);
      const [gx, gw] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 2, 1), dy)))([x, w]);
      const out = [(await gx.data()) as Float32Array, (await gw.data()) as Float32Array];
      tf.dispose([x, w, dy, gx, gw]);
      return out;
    };
    await initBackend('cpu');
    const [wantX, wantW] = await grads();
    await initBackend('webgpu');
    const [gotX, gotW] = await grads();
    expect(maxRelativeError(gotX, wantX)).toBeLessThan(1e-4);
    expect(maxRelativeError(gotW, wantW)).toBeLessThan(1e-4);
  });
});
