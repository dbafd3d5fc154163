/**
 * Training-mode BatchNorm on webgpu (the fused kernels) against the cpu backend (the composite ops path): outputs,
 * batch statistics and the gradients of x, gamma and beta, for every BatchNorm shape of both encoders (at a small
 * width and image size), through WebGPU in Node (Dawn). Skipped, with the reason, where Dawn finds no adapter.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { maxRelativeError } from '../../../test/support/testBackend';
import { initBackend } from '../backend';
import { AUDIO_NET, VISUAL_NET } from '../model';
import { batchNorm } from '../ops';
import { outSize, resnetConvLayers } from './layerShapes';
import { installNodeWebGpu } from './nodeWebGpu';
import { registerWebGpuKernels } from './register';

const gpu = await installNodeWebGpu();
if (!gpu.adapter) console.warn(`skipping the webgpu BatchNorm tests: ${gpu.reason}`);

const WIDTH = 0.0625;
/** The BatchNorm inputs are the convolution outputs. */
const BN_SHAPES = [
  ...new Set(
    [...resnetConvLayers(AUDIO_NET, 2, 33, 26, 1, WIDTH), ...resnetConvLayers(VISUAL_NET, 2, 32, 32, 3, WIDTH)].map((l) => {
      const [n, h, w] = l.inputNHWC;
      const [k, , , co] = l.kernelHWIO;
      return JSON.stringify([n, outSize(h, k, l.stride, l.pad), outSize(w, k, l.stride, l.pad), co]);
    }),
  ),
].map((s) => JSON.parse(s) as [number, number, number, number]);

interface BnCase {
  x: Float32Array;
  gamma: Float32Array;
  beta: Float32Array;
  dy: Float32Array;
  shape: [number, number, number, number];
}

async function makeCase(shape: [number, number, number, number], seed: number, offset = 0): Promise<BnCase> {
  await initBackend('cpu');
  const c = shape[3];
  const t = [tf.add(tf.randomNormal(shape, 0, 1, 'float32', seed), offset), tf.randomUniform([c], 0.5, 1.5, 'float32', seed + 1), tf.randomNormal([c], 0, 1, 'float32', seed + 2), tf.randomNormal(shape, 0, 1, 'float32', seed + 3)];
  const [x, gamma, beta, dy] = (await Promise.all(t.map((v) => v.data()))) as Float32Array[];
  tf.dispose(t);
  return { x, gamma, beta, dy, shape };
}

/** y, batch mean and unbiased variance, and the gradients of sum(y * dy), on the active backend. */
async function run(c: BnCase): Promise<{ values: Float32Array[]; programs: string }> {
  const x = tf.tensor4d(c.x, c.shape);
  const gamma = tf.tensor1d(c.gamma);
  const beta = tf.tensor1d(c.beta);
  const dy = tf.tensor4d(c.dy, c.shape);
  const zeros = tf.zeros([c.shape[3]]) as tf.Tensor1D;
  const ones = tf.ones([c.shape[3]]) as tf.Tensor1D;
  const profile = await tf.profile(() => {
    const r = batchNorm(x, gamma, beta, zeros, ones, true);
    const grads = tf.grads((a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(batchNorm(a as tf.Tensor4D, g as tf.Tensor1D, b as tf.Tensor1D, zeros, ones, true).y, dy)))([x, gamma, beta]);
    return [r.y, r.batchMean!, r.batchVarUnbiased!, ...grads];
  });
  const outs = profile.result as tf.Tensor[];
  const values = (await Promise.all(outs.map((t) => t.data()))) as Float32Array[];
  tf.dispose([x, gamma, beta, dy, zeros, ones, ...outs]);
  return { values, programs: profile.kernels.map((k) => String(k.extraInfo)).join(' ') };
}

const NAMES = ['y', 'batch mean', 'unbiased variance', 'dx', 'dgamma', 'dbeta'];

async function compare(c: BnCase): Promise<{ errors: Record<string, number>; programs: string }> {
  await initBackend('cpu');
  const want = await run(c);
  await initBackend('webgpu');
  const got = await run(c);
  const errors: Record<string, number> = {};
  NAMES.forEach((n, i) => (errors[n] = maxRelativeError(got.values[i], want.values[i])));
  return { errors, programs: got.programs };
}

describe.skipIf(!gpu.adapter)('webgpu BatchNorm (fused kernels) against the cpu backend', () => {
  beforeAll(async () => {
    await initBackend('webgpu');
    tf.env().set('PROD', true);
  });

  it('outputs, statistics and gradients within 1e-4 for every BatchNorm shape of the model', async () => {
    expect(BN_SHAPES.length).toBeGreaterThanOrEqual(10);
    let seed = 100;
    for (const shape of BN_SHAPES) {
      const r = await compare(await makeCase(shape, (seed += 4)));
      expect(r.programs, JSON.stringify(shape)).toContain('ChannelSumsProgram');
      for (const [name, e] of Object.entries(r.errors)) expect(e, `${JSON.stringify(shape)} ${name}`).toBeLessThan(1e-4);
    }
  });

  it('a large mean (the variance must not cancel), many rows (several chunks), and channels not divisible by 4 (composite path)', async () => {
    for (const [shape, offset, program] of [
      [[4, 40, 30, 8], 20, 'ChannelSumsProgram'],
      [[1, 2, 3, 256], -3, 'ChannelSumsProgram'],
      [[2, 5, 4, 6], 1, null],
    ] as [[number, number, number, number], number, string | null][]) {
      const r = await compare(await makeCase(shape, 9, offset));
      if (program) expect(r.programs).toContain(program);
      else expect(r.programs).not.toContain('ChannelSumsProgram');
      for (const [name, e] of Object.entries(r.errors)) expect(e, `${JSON.stringify(shape)} ${name}`).toBeLessThan(1e-4);
    }
  });

  it('leaves no tensors behind, and the composite path stays selectable', async () => {
    const c = await makeCase([2, 6, 5, 8], 3);
    await initBackend('webgpu');
    await run(c); // compiles
    const before = tf.memory().numTensors;
    await run(c);
    expect(tf.memory().numTensors).toBe(before);
    registerWebGpuKernels({ batchNorm: 'composite' });
    try {
      const r = await compare(c);
      expect(r.programs).not.toContain('ChannelSumsProgram');
      for (const e of Object.values(r.errors)) expect(e).toBeLessThan(1e-4);
    } finally {
      registerWebGpuKernels();
    }
  });
});
