/**
 * BatchNorm2d in training mode on the webgpu backend as two kernels with fused per-channel reductions:
 *
 * - BmmBatchNormTrain: one pass over x for sum and sum of squares per channel (shifted by the first pixel's value,
 *   so the variance does not cancel), then y = (x - mean) * gamma * invStd + beta;
 * - BmmBatchNormGrad: one pass over dy and x for sum(dy) and sum(dy * (x - mean)) per channel, then
 *   dx = gamma * invStd * (dy - sum(dy) / M - xhat * sum(dy * xhat) / M).
 *
 * The composite ops path runs tens of kernels per layer, and TF.js reduces over N, H, W by first transposing the
 * whole activation so that channels come first. Channels are read four at a time (vec4): the kernels need C % 4 == 0
 * (every layer of the model), `fusedBatchNormSupported` says when.
 */
import * as tf from '@tensorflow/tfjs';
import type { WebGPUBackend, WebGPUProgram } from '@tensorflow/tfjs-backend-webgpu';

export const BATCH_NORM_TRAIN = 'BmmBatchNormTrain';
export const BATCH_NORM_GRAD = 'BmmBatchNormGrad';

const WORKGROUP = 256;
const TARGET_WORKGROUPS = 512;
const MIN_ROWS_PER_CHUNK = 256;

interface ReducePlan {
  rows: number;
  channels4: number;
  /** Channel groups (vec4) per workgroup and row lanes: lanes x groups = 256. */
  groups: number;
  lanes: number;
  chunks: number;
  rowsPerChunk: number;
}

function planReduce(rows: number, channels: number): ReducePlan {
  const channels4 = channels / 4;
  let groups = 1;
  while (groups * 2 <= Math.min(channels4, 64)) groups *= 2;
  const lanes = WORKGROUP / groups;
  const columns = Math.ceil(channels4 / groups);
  const wanted = Math.max(1, Math.ceil(TARGET_WORKGROUPS / columns));
  const chunks = Math.max(1, Math.min(wanted, Math.floor(rows / MIN_ROWS_PER_CHUNK)));
  const rowsPerChunk = Math.ceil(rows / chunks);
  return { rows, channels4, groups, lanes, chunks: Math.ceil(rows / rowsPerChunk), rowsPerChunk };
}

/**
 * Partial per-channel sums over a chunk of rows of [rows, C]: partial[chunk, 0, c] and partial[chunk, 1, c].
 * 'stats' sums (x - x[0]) and its square; 'grad' sums dy and dy * (x - mean).
 */
class ChannelSumsProgram implements WebGPUProgram {
  variableNames: string[];
  outputComponent = 4;
  uniforms = 'rows : i32, channels4 : i32, rowsPerChunk : i32,';
  workgroupSize: [number, number, number];
  dispatchLayout = { x: [2], y: [0], z: [] as number[] };
  dispatch: [number, number, number];
  outputShape: number[];
  shaderKey: string;

  constructor(
    private readonly mode: 'stats' | 'grad',
    private readonly plan: ReducePlan,
  ) {
    this.variableNames = mode === 'stats' ? ['x'] : ['dy', 'x', 'mean'];
    this.workgroupSize = [plan.groups, plan.lanes, 1];
    this.outputShape = [plan.chunks, 2, plan.channels4 * 4];
    this.dispatch = [Math.ceil(plan.channels4 / plan.groups), plan.chunks, 1];
    this.shaderKey = `bmmChannelSums_${mode}_${plan.groups}`;
  }

  getUserCode(): string {
    const { groups, lanes } = this.plan;
    const term =
      this.mode === 'stats'
        ? `let v = x[r * uniforms.channels4 + c4] - shift;
              s1 += v;
              s2 = fma(v, v, s2);`
        : `let g = dy[r * uniforms.channels4 + c4];
              s1 += g;
              s2 = fma(g, x[r * uniforms.channels4 + c4] - centre, s2);`;
    const centre = this.mode === 'stats' ? 'let shift = x[c4];' : 'let centre = mean[c4];';
    return `
      var<workgroup> sum1 : array<vec4<f32>, ${WORKGROUP}>;
      var<workgroup> sum2 : array<vec4<f32>, ${WORKGROUP}>;

      fn main() {
        let lane = i32(localId.y);
        let slot = lane * ${groups} + i32(localId.x);
        let c4 = i32(workgroupId.x) * ${groups} + i32(localId.x);
        let chunk = i32(workgroupId.y);
        var s1 = vec4<f32>(0.0);
        var s2 = vec4<f32>(0.0);
        if (c4 < uniforms.channels4) {
          ${centre}
          let begin = chunk * uniforms.rowsPerChunk;
          let end = min(begin + uniforms.rowsPerChunk, uniforms.rows);
          for (var r = begin + lane; r < end; r += ${lanes}) {
            ${term}
          }
        }
        sum1[slot] = s1;
        sum2[slot] = s2;
        workgroupBarrier();
        for (var half = ${lanes / 2}; half > 0; half = half / 2) {
          if (lane < half) {
            sum1[slot] += sum1[slot + half * ${groups}];
            sum2[slot] += sum2[slot + half * ${groups}];
          }
          workgroupBarrier();
        }
        if (lane == 0 && c4 < uniforms.channels4) {
          result[(chunk * 2) * uniforms.channels4 + c4] = sum1[slot];
          result[(chunk * 2 + 1) * uniforms.channels4 + c4] = sum2[slot];
        }
      }
    `;
  }
}

/** A per-channel vector [C] from the partial sums (summed over chunks): one formula per output. */
class ChannelFinishProgram implements WebGPUProgram {
  variableNames: string[];
  outputComponent = 4;
  uniforms = 'chunks : i32, channels4 : i32, count : f32, epsilon : f32,';
  workgroupSize: [number, number, number] = [64, 1, 1];
  dispatchLayout = { x: [0] };
  dispatch: [number, number, number];
  outputShape: number[];
  size = true;
  shaderKey: string;

  constructor(
    private readonly output: 'mean' | 'varUnbiased' | 'invStd' | 'dbeta' | 'dgamma',
    channels: number,
  ) {
    // Every input must be read (the pipeline layout is derived from the shader).
    this.variableNames = output === 'dgamma' ? ['partial', 'invStd'] : output === 'mean' ? ['partial', 'x'] : ['partial'];
    this.outputShape = [channels];
    this.dispatch = [Math.ceil(channels / 4 / 64), 1, 1];
    this.shaderKey = `bmmChannelFinish_${output}`;
  }

  getUserCode(): string {
    const formula = {
      mean: 'x[index] + s1 / uniforms.count',
      varUnbiased: 'max(s2 - s1 * s1 / uniforms.count, vec4<f32>(0.0)) / max(uniforms.count - 1.0, 1.0)',
      invStd: 'inverseSqrt(max(s2 - s1 * s1 / uniforms.count, vec4<f32>(0.0)) / uniforms.count + uniforms.epsilon)',
      dbeta: 's1',
      dgamma: 's2 * invStd[index]',
    }[this.output];
    return `
      fn main(index : i32) {
        if (index < uniforms.size) {
          var s1 = vec4<f32>(0.0);
          var s2 = vec4<f32>(0.0);
          for (var k = 0; k < uniforms.chunks; k++) {
            s1 += partial[(k * 2) * uniforms.channels4 + index];
            s2 += partial[(k * 2 + 1) * uniforms.channels4 + index];
          }
          result[index] = ${formula};
        }
      }
    `;
  }
}

/** y = (x - mean) * gamma * invStd + beta, or dx from dy (see the module doc), elementwise over [rows, C]. */
class ChannelMapProgram implements WebGPUProgram {
  variableNames: string[];
  outputComponent = 4;
  uniforms = 'channels4 : i32, count : f32,';
  workgroupSize: [number, number, number] = [64, 1, 1];
  dispatchLayout: { x: number[] };
  dispatch: [number, number, number];
  outputShape: number[];
  size = true;
  shaderKey: string;

  constructor(
    private readonly mode: 'normalise' | 'inputGradient',
    shape: number[],
  ) {
    this.variableNames = mode === 'normalise' ? ['x', 'mean', 'invStd', 'gamma', 'beta'] : ['dy', 'x', 'mean', 'invStd', 'gamma', 'dbeta', 'dgamma'];
    this.outputShape = shape;
    this.dispatchLayout = { x: shape.map((_, i) => i) };
    this.dispatch = [Math.ceil(shape.reduce((a, b) => a * b, 1) / 4 / 64), 1, 1];
    this.shaderKey = `bmmChannelMap_${mode}`;
  }

  getUserCode(): string {
    const value =
      this.mode === 'normalise'
        ? 'fma(x[index] - mean[c], gamma[c] * invStd[c], beta[c])'
        : `(gamma[c] * invStd[c]) * (dy[index] - dbeta[c] / uniforms.count - (x[index] - mean[c]) * invStd[c] * (dgamma[c] / uniforms.count))`;
    return `
      fn main(index : i32) {
        if (index < uniforms.size) {
          let c = index % uniforms.channels4;
          result[index] = ${value};
        }
      }
    `;
  }
}

type KernelArgs = Parameters<tf.KernelFunc>[0];

function shapeOf(x: tf.TensorInfo): { rows: number; channels: number } {
  const channels = x.shape[x.shape.length - 1];
  return { rows: x.shape.reduce((a, b) => a * b, 1) / channels, channels };
}

const int = (v: number) => ({ type: 'int32', data: [v] });
const float = (v: number) => ({ type: 'float32', data: [v] });

function batchNormTrain(args: KernelArgs): tf.TensorInfo[] {
  const backend = args.backend as WebGPUBackend;
  const { x, gamma, beta } = args.inputs as { x: tf.TensorInfo; gamma: tf.TensorInfo; beta: tf.TensorInfo };
  const epsilon = (args.attrs as { epsilon: number }).epsilon;
  const { rows, channels } = shapeOf(x);
  const plan = planReduce(rows, channels);
  const partial = backend.runWebGPUProgram(new ChannelSumsProgram('stats', plan), [x], 'float32', [int(rows), int(plan.channels4), int(plan.rowsPerChunk)]);
  const finish = [int(plan.chunks), int(plan.channels4), float(rows), float(epsilon)];
  const mean = backend.runWebGPUProgram(new ChannelFinishProgram('mean', channels), [partial, x], 'float32', finish);
  const varUnbiased = backend.runWebGPUProgram(new ChannelFinishProgram('varUnbiased', channels), [partial], 'float32', finish);
  const invStd = backend.runWebGPUProgram(new ChannelFinishProgram('invStd', channels), [partial], 'float32', finish);
  backend.disposeData(partial.dataId);
  const y = backend.runWebGPUProgram(new ChannelMapProgram('normalise', x.shape), [x, mean, invStd, gamma, beta], 'float32', [int(plan.channels4), float(rows)]);
  return [y, mean, varUnbiased, invStd];
}

function batchNormGrad(args: KernelArgs): tf.TensorInfo[] {
  const backend = args.backend as WebGPUBackend;
  const { dy, x, gamma, mean, invStd } = args.inputs as Record<'dy' | 'x' | 'gamma' | 'mean' | 'invStd', tf.TensorInfo>;
  const { rows, channels } = shapeOf(x);
  const plan = planReduce(rows, channels);
  const partial = backend.runWebGPUProgram(new ChannelSumsProgram('grad', plan), [dy, x, mean], 'float32', [int(rows), int(plan.channels4), int(plan.rowsPerChunk)]);
  const finish = [int(plan.chunks), int(plan.channels4), float(rows), float(0)];
  const dbeta = backend.runWebGPUProgram(new ChannelFinishProgram('dbeta', channels), [partial], 'float32', finish);
  const dgamma = backend.runWebGPUProgram(new ChannelFinishProgram('dgamma', channels), [partial, invStd], 'float32', finish);
  backend.disposeData(partial.dataId);
  const dx = backend.runWebGPUProgram(new ChannelMapProgram('inputGradient', x.shape), [dy, x, mean, invStd, gamma, dbeta, dgamma], 'float32', [int(plan.channels4), float(rows)]);
  return [dx, dgamma, dbeta];
}

/** Registers the two kernels for the webgpu backend, or with `false` removes them (idempotent). */
export function registerBatchNormKernels(on = true): void {
  for (const [kernelName, kernelFunc] of [
    [BATCH_NORM_TRAIN, batchNormTrain],
    [BATCH_NORM_GRAD, batchNormGrad],
  ] as const) {
    if (tf.getKernel(kernelName, 'webgpu')) tf.unregisterKernel(kernelName, 'webgpu');
    if (on) tf.registerKernel({ kernelName, backendName: 'webgpu', kernelFunc: kernelFunc as unknown as tf.KernelFunc });
  }
}

/** True when the active backend has the fused kernels and x's channels suit them. */
export function fusedBatchNormSupported(x: tf.Tensor): boolean {
  const backend = tf.getBackend();
  return backend === 'webgpu' && x.dtype === 'float32' && x.shape[x.shape.length - 1] % 4 === 0 && tf.getKernel(BATCH_NORM_TRAIN, backend) !== undefined;
}

let statsOut: tf.Tensor[] = [];
let fusedWithGrad: ((x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor) => tf.Tensor) | null = null;
let epsilonOfCall = 0;

/**
 * Training-mode BatchNorm through the fused kernels: y with gradients for x, gamma and beta, and the batch mean
 * and unbiased variance (no gradient) as ordinary tensors of the caller's scope.
 */
export function fusedBatchNormTrain(x: tf.Tensor4D, gamma: tf.Tensor1D, beta: tf.Tensor1D, epsilon: number): { y: tf.Tensor4D; mean: tf.Tensor1D; varUnbiased: tf.Tensor1D } {
  fusedWithGrad ??= tf.customGrad(((xIn: tf.Tensor, g: tf.Tensor, b: tf.Tensor, save: tf.GradSaveFunc) => {
    const [y, mean, varUnbiased, invStd] = tf.engine().runKernel(BATCH_NORM_TRAIN, { x: xIn, gamma: g, beta: b }, { epsilon: epsilonOfCall } as unknown as tf.NamedAttrMap) as tf.Tensor[];
    // The statistics leave the custom-gradient scope (which disposes everything but y) kept; see below.
    statsOut = [tf.keep(mean), tf.keep(varUnbiased)];
    save([xIn, g, mean, invStd]);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
        const [xs, gs, ms, is] = saved;
        const [dx, dgamma, dbeta] = tf.engine().runKernel(BATCH_NORM_GRAD, { dy: dy as tf.Tensor, x: xs, gamma: gs, mean: ms, invStd: is }, {}) as tf.Tensor[];
        return [dx, dgamma, dbeta];
      },
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor) => tf.Tensor;
  epsilonOfCall = epsilon;
  const y = fusedWithGrad(x, gamma, beta) as tf.Tensor4D;
  // Clones (same data) belong to the caller's scope, like the composite path's tensors; the kept originals go.
  const [mean, varUnbiased] = statsOut.map((t) => {
    const c = tf.clone(t);
    t.dispose();
    return c as tf.Tensor1D;
  });
  statsOut = [];
  return { y, mean, varUnbiased };
}
