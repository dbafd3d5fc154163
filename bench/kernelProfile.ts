/**
 * Kernel-level timing of one training step on TF.js's webgpu backend: the step runs under `tf.profile`, where the
 * backend gives each program its own compute pass with timestamp queries at its start and end (GPU time, not
 * wall time), and the kernels are grouped by name and shapes, with their phase (forward, backward, optimiser),
 * floating-point work and bytes moved.
 */
import * as tf from '@tensorflow/tfjs';
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import { makeConfig } from '../src/core/config';
import { createMethod } from '../src/core/methods';
import type { Batch, TrainingMethod } from '../src/core/methods/method';
import { AVModel } from '../src/core/model';
import { Adam } from '../src/core/optimizer';
import { Rng } from '../src/core/random';
import { trainStep, variableNameMap } from '../src/core/trainStep';
import type { WebGpuKernelOptions } from '../src/core/webgpu/register';
import { AUDIO_RGB } from '../src/core/modalities';

/** "package": the webgpu package's kernels throughout ("before"); "lab": the lab's kernels (webgpu/). */
export const KERNEL_SETS: Record<'package' | 'lab', WebGpuKernelOptions> = {
  package: { filterGradient: 'package', inputGradient: 'direct', batchNorm: 'composite', forward: 'package' },
  lab: {},
};

export type Phase = 'forward' | 'backward' | 'optimiser' | 'other';

export interface StepShapes {
  batch: number;
  width: number;
  audioHW: [number, number];
  visualSize: number;
}

export interface KernelRow {
  phase: Phase;
  kernel: string;
  /** Input shapes -> output shapes, e.g. "16x56x56x64 3x3x64x64 -> 16x56x56x64". */
  shape: string;
  calls: number;
  ms: number;
  /** Of the step's summed kernel time. */
  share: number;
  /** Floating-point operations (multiply-add = 2) where the kernel is a convolution or matmul, else null. */
  flops: number | null;
  gflops: number | null;
  /** Bytes read and written (inputs + outputs, once each) per second. */
  gbps: number | null;
  /** The backend's programs behind the kernel, e.g. "Conv2DMMProgram". */
  programs: string[];
}

export interface StepProfile {
  shapes: StepShapes;
  /** 'timestamp-query': GPU time of each program from timestamp queries. */
  timing: 'timestamp-query' | 'unavailable';
  /** Wall time of the same step without profiling (the least of the repeats). */
  wallMs: number;
  /** Summed GPU time of all kernels of the profiled step. */
  kernelMs: number;
  kernels: number;
  phases: Record<Phase, { ms: number; calls: number }>;
  rows: KernelRow[];
}

const size = (shape: number[] | null | undefined) => (shape ?? []).reduce((a, b) => a * b, 1);
const shapeText = (shape: number[] | null) => (shape && shape.length ? shape.join('x') : 'scalar');

/** Multiply-adds x 2 of the convolution and matmul kernels (the work that matters); null for the others. */
export function kernelFlops(name: string, inputShapes: (number[] | null)[], outputShapes: number[][]): number | null {
  const out = outputShapes[0] ?? [];
  switch (name) {
    case 'Conv2D':
    case 'FusedConv2D': {
      const [, filter] = inputShapes as number[][];
      return 2 * size(out) * filter[0] * filter[1] * filter[2];
    }
    case 'Conv2DBackpropFilter': {
      const [, dy] = inputShapes as number[][];
      return 2 * size(dy) * out[0] * out[1] * out[2];
    }
    case 'Conv2DBackpropInput': {
      const [dy, filter] = inputShapes as number[][];
      return 2 * size(dy) * filter[0] * filter[1] * filter[2];
    }
    case 'BatchMatMul':
    case '_FusedMatMul': {
      const [a] = inputShapes as number[][];
      const inner = size(a) / (size(out) / out[out.length - 1]);
      return 2 * size(out) * inner;
    }
    default:
      return null;
  }
}

interface ProfiledKernel {
  name: string;
  inputShapes: (number[] | null)[];
  outputShapes: number[][];
  kernelTimeMs: number | { error: string };
  extraInfo: string;
}

function activeKernelCount(): number {
  const state = (tf.engine() as unknown as { state: { activeProfile: { kernels: unknown[] } } }).state;
  return state.activeProfile.kernels.length;
}

export interface StepFixture {
  run: () => Promise<void>;
  /** Marks (kernel counts) where the forward pass ended and the optimiser began and ended, set by `run`. */
  marks: { forwardEnd: number; optimiserStart: number; optimiserEnd: number };
  dispose: () => void;
}

/** ERM's concat step (the bench's step: forward, backward, Adam, BN update) on random data of the given shapes. */
export function stepFixture(s: StepShapes): StepFixture {
  const config = makeConfig({ method: 'erm', fusion: 'concat', preset: 'paper', width: s.width, batch: s.batch, visualSize: s.visualSize });
  const rng = new Rng(0);
  const model = new AVModel({ numClasses: 6, fusion: 'concat', width: s.width, modalities: AUDIO_RGB }, rng.fork());
  const params = new Map([...model.params.vars].filter(([, v]) => v.trainable));
  const opt = new Adam(params, { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 1e-4 });
  const method: TrainingMethod = createMethod(config);
  method.beginEpoch({ epoch: 0, rho: null });
  const names = variableNameMap(model);
  const labels = tf.tensor1d(Array.from({ length: s.batch }, (_, i) => i % 6), 'int32');
  const batch: Batch = {
    audio: tf.randomNormal([s.batch, s.audioHW[0], s.audioHW[1], 1], 0, 1, 'float32', 1) as tf.Tensor4D,
    visual: tf.randomNormal([s.batch, 1, s.visualSize, s.visualSize, 3], 0, 1, 'float32', 2) as tf.Tensor5D,
    labels,
    oneHot: tf.oneHot(labels, 6).toFloat() as tf.Tensor2D,
  };
  const marks = { forwardEnd: -1, optimiserStart: -1, optimiserEnd: -1 };
  let profiling = false;
  // Phase marks: the loss is the forward pass's last kernel; Adam's apply brackets the optimiser.
  const batchLoss = method.batchLoss.bind(method);
  method.batchLoss = (...args) => {
    const r = batchLoss(...args);
    if (profiling) marks.forwardEnd = activeKernelCount();
    return r;
  };
  const apply = opt.apply.bind(opt);
  opt.apply = (grads) => {
    if (profiling) marks.optimiserStart = activeKernelCount();
    apply(grads);
    if (profiling) marks.optimiserEnd = activeKernelCount();
  };
  return {
    marks,
    run: async () => {
      profiling = (tf.engine() as unknown as { state: { profiling: boolean } }).state.profiling;
      await trainStep(model, opt, method, batch, rng, names);
      profiling = false;
    },
    dispose: () => {
      tf.dispose(Object.values(batch));
      model.dispose();
      opt.dispose();
    },
  };
}

/**
 * Profiles one step per kernel set, `repeats` times, the sets interleaved (each set is selected by its `use`
 * callback before each of its runs). Each kernel's time is its least over the repeats, and the wall time the least
 * of `repeats` unprofiled steps: other work on the machine only ever adds time.
 */
export async function profileSets(s: StepShapes, sets: Record<string, () => void>, repeats: number): Promise<Record<string, StepProfile>> {
  const fixture = stepFixture(s);
  const names = Object.keys(sets);
  const walls = new Map(names.map((n) => [n, Infinity]));
  const best = new Map<string, { kernels: ProfiledKernel[]; marks: StepFixture['marks'] }>();
  try {
    for (const n of names) {
      sets[n]();
      await fixture.run(); // compiles the pipelines
    }
    for (let r = 0; r < repeats; r++) {
      for (const n of names) {
        sets[n]();
        const t0 = performance.now();
        await fixture.run();
        walls.set(n, Math.min(walls.get(n)!, performance.now() - t0));
        const profile = await tf.profile(() => fixture.run());
        const kernels = profile.kernels as unknown as ProfiledKernel[];
        const previous = best.get(n);
        if (!previous || previous.kernels.length !== kernels.length) {
          best.set(n, { kernels, marks: { ...fixture.marks } });
        } else {
          kernels.forEach((k, i) => {
            const t = typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : Infinity;
            const p = previous.kernels[i];
            if (typeof p.kernelTimeMs !== 'number' || t < p.kernelTimeMs) previous.kernels[i] = k;
          });
        }
      }
    }
  } finally {
    fixture.dispose();
  }
  const backend = tf.backend() as WebGPUBackend;
  const timing = backend.device?.features.has('timestamp-query') ? 'timestamp-query' : 'unavailable';
  return Object.fromEntries(names.map((n) => [n, summarise(s, best.get(n)!.kernels, best.get(n)!.marks, walls.get(n)!, timing)]));
}

function phaseOf(i: number, marks: StepFixture['marks']): Phase {
  if (i < marks.forwardEnd) return 'forward';
  if (marks.optimiserStart >= 0 && i < marks.optimiserStart) return 'backward';
  if (i < marks.optimiserEnd) return 'optimiser';
  return 'other';
}

function summarise(s: StepShapes, kernels: ProfiledKernel[], marks: StepFixture['marks'], wallMs: number, timing: StepProfile['timing']): StepProfile {
  const groups = new Map<string, KernelRow & { bytes: number }>();
  const phases: StepProfile['phases'] = { forward: { ms: 0, calls: 0 }, backward: { ms: 0, calls: 0 }, optimiser: { ms: 0, calls: 0 }, other: { ms: 0, calls: 0 } };
  let total = 0;
  kernels.forEach((k, i) => {
    const ms = typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0;
    const phase = phaseOf(i, marks);
    const shape = `${k.inputShapes.map(shapeText).join(' ')} -> ${k.outputShapes.map(shapeText).join(' ')}`;
    const key = `${phase}|${k.name}|${shape}`;
    const flops = kernelFlops(k.name, k.inputShapes, k.outputShapes);
    const bytes = 4 * (k.inputShapes.reduce((a, sh) => a + (sh ? size(sh) : 0), 0) + k.outputShapes.reduce((a, sh) => a + size(sh), 0));
    const programs = [...String(k.extraInfo).matchAll(/(\w+Program)/g)].map((m) => m[1]);
    let g = groups.get(key);
    if (!g) {
      g = { phase, kernel: k.name, shape, calls: 0, ms: 0, share: 0, flops: flops === null ? null : 0, gflops: null, gbps: null, programs: [], bytes: 0 };
      groups.set(key, g);
    }
    g.calls++;
    g.ms += ms;
    g.bytes += bytes;
    if (flops !== null) g.flops = (g.flops ?? 0) + flops;
    for (const p of programs) if (!g.programs.includes(p)) g.programs.push(p);
    phases[phase].ms += ms;
    phases[phase].calls++;
    total += ms;
  });
  const rows = [...groups.values()]
    .map(({ bytes, ...r }) => ({
      ...r,
      share: total > 0 ? r.ms / total : 0,
      gflops: r.flops !== null && r.ms > 0 ? r.flops / (r.ms * 1e6) : null,
      gbps: r.ms > 0 ? bytes / (r.ms * 1e6) : null,
    }))
    .sort((a, b) => b.ms - a.ms);
  return { shapes: s, timing, wallMs, kernelMs: total, kernels: kernels.length, phases, rows };
}

/** Rows summed over shapes and phases, by kernel name. */
export function byKernel(p: StepProfile): { kernel: string; calls: number; ms: number; share: number; gflops: number | null }[] {
  const m = new Map<string, { kernel: string; calls: number; ms: number; flops: number | null }>();
  for (const r of p.rows) {
    const g = m.get(r.kernel) ?? { kernel: r.kernel, calls: 0, ms: 0, flops: r.flops === null ? null : 0 };
    g.calls += r.calls;
    g.ms += r.ms;
    if (r.flops !== null) g.flops = (g.flops ?? 0) + r.flops;
    m.set(r.kernel, g);
  }
  return [...m.values()]
    .map((g) => ({ kernel: g.kernel, calls: g.calls, ms: g.ms, share: p.kernelMs > 0 ? g.ms / p.kernelMs : 0, gflops: g.flops !== null && g.ms > 0 ? g.flops / (g.ms * 1e6) : null }))
    .sort((a, b) => b.ms - a.ms);
}
