/**
 * `npm run bench`: samples/s of one training step (B-MM's loss path is the plain forward/backward plus an input
 * mix, so this times ERM's concat step: forward, backward, Adam, BN update) at the CREMA-D shapes: audio 257 x 188,
 * one frame of 112 px and of 224 px, batch 16, full width, on each backend available here, next to PyTorch (CPU)
 * running the same model on the same machine. Prints a table and writes .bench/train-step.json.
 *
 * Options: --backends wasm,cpu,webgpu  --steps N  --batch N  --width X  --sizes 112,224
 *          --threads N (wasm's threads, default every logical core, as PyTorch uses them; src/cli/wasmThreads.ts)
 *          --profile (also one step under tf.profile per row: the kernels' share of the step, wasm and cpu)
 */
import * as tf from '@tensorflow/tfjs';
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { initBackend } from '../src/core/backend';
import type { BackendName } from '../src/core/config';
import { createMethod } from '../src/core/methods';
import { makeConfig } from '../src/core/config';
import { AVModel } from '../src/core/model';
import { Adam } from '../src/core/optimizer';
import { Rng } from '../src/core/random';
import { trainStep, variableNameMap } from '../src/core/trainStep';
import { AUDIO_RGB } from '../src/core/modalities';
import { startWasmThreads } from '../src/cli/wasmThreads';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
}

const steps = Number(arg('steps', '2'));
const batch = Number(arg('batch', '16'));
const width = Number(arg('width', '1'));
const sizes = arg('sizes', '112,224').split(',').map(Number);
const backends = arg('backends', 'webgpu,wasm,cpu').split(',') as BackendName[];
const threads = Number(arg('threads', String(Math.max(1, cpus().length))));
const profile = process.argv.includes('--profile');
/** `--profile`: per row, the kernels of one step by total time (tf.profile; wall time of each kernel call). */
const profiles: { backend: string; visualSize: number; kernels: { name: string; calls: number; ms: number; share: number }[] }[] = [];

interface Row {
  backend: string;
  visualSize: number;
  batch: number;
  width: number;
  secondsPerStep: number | null;
  samplesPerSec: number | null;
  pytorchSamplesPerSec: number | null;
  ratioToPytorch: number | null;
  note?: string;
}

/** WebGPU in Node through Dawn (the `webgpu` package); null when there is no adapter, or only a software one. */
async function nodeWebGpuAdapter(): Promise<string | null> {
  const nav = (globalThis as { navigator?: { gpu?: GPU } }).navigator;
  if (!nav?.gpu) {
    try {
      const mod = (await import('webgpu')) as { create: (f: string[]) => GPU; globals: object };
      Object.assign(globalThis, mod.globals);
      Object.defineProperty(globalThis, 'navigator', { value: { gpu: mod.create([]) }, configurable: true });
    } catch (e) {
      return `no WebGPU for Node (${e instanceof Error ? e.message : String(e)})`;
    }
  }
  const adapter = await (globalThis as unknown as { navigator: { gpu: GPU } }).navigator.gpu.requestAdapter();
  if (!adapter) return 'no WebGPU adapter';
  if (/swiftshader|llvmpipe|software/i.test(`${adapter.info.architecture} ${adapter.info.description} ${adapter.info.vendor}`)) {
    return `skipped: only a software adapter (${adapter.info.architecture || adapter.info.description})`;
  }
  return null;
}

async function labStep(backend: BackendName, visualSize: number): Promise<number> {
  await initBackend(backend);
  tf.env().set('PROD', true);
  const config = makeConfig({ method: 'erm', fusion: 'concat', preset: 'paper', width, batch, visualSize });
  const rng = new Rng(0);
  const model = new AVModel({ numClasses: 6, fusion: 'concat', width, modalities: AUDIO_RGB }, rng.fork());
  const params = new Map([...model.params.vars].filter(([, v]) => v.trainable));
  const opt = new Adam(params, { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 1e-4 });
  const method = createMethod(config);
  method.beginEpoch({ epoch: 0, rho: null });
  const names = variableNameMap(model);
  const labels = tf.tensor1d(Array.from({ length: batch }, (_, i) => i % 6), 'int32');
  const batchTensors = {
    audio: tf.randomNormal([batch, 257, 188, 1], 0, 1, 'float32', 1) as tf.Tensor4D,
    visual: tf.randomNormal([batch, 1, visualSize, visualSize, 3], 0, 1, 'float32', 2) as tf.Tensor5D,
    labels,
    oneHot: tf.oneHot(labels, 6).toFloat() as tf.Tensor2D,
  };
  await trainStep(model, opt, method, batchTensors, rng, names); // warm-up (shader/kernels compile)
  const t0 = performance.now();
  for (let i = 0; i < steps; i++) await trainStep(model, opt, method, batchTensors, rng, names);
  const seconds = (performance.now() - t0) / 1000 / steps;
  if (profile && backend !== 'webgpu') {
    const info = await tf.profile(async () => {
      await trainStep(model, opt, method, batchTensors, rng, names);
    });
    const by = new Map<string, { calls: number; ms: number }>();
    for (const k of info.kernels) {
      const e = by.get(k.name) ?? { calls: 0, ms: 0 };
      e.calls++;
      e.ms += Number(k.kernelTimeMs) || 0;
      by.set(k.name, e);
    }
    const total = [...by.values()].reduce((a, e) => a + e.ms, 0);
    const kernels = [...by].map(([name, e]) => ({ name, ...e, share: e.ms / total })).sort((a, b) => b.ms - a.ms);
    profiles.push({ backend, visualSize, kernels });
  }
  tf.dispose(Object.values(batchTensors));
  model.dispose();
  opt.dispose();
  return seconds;
}

function torchStep(visualSize: number): number | null {
  try {
    const out = execFileSync('/usr/bin/python3', [join('bench', 'torch_step.py'), '--visual', String(visualSize), '--batch', String(batch), '--steps', String(steps), '--width', String(width)], {
      env: { ...process.env, PYTHONPATH: 'python' },
      encoding: 'utf8',
    });
    return JSON.parse(out.trim().split('\n').pop()!).samplesPerSec as number;
  } catch {
    return null;
  }
}

/** The PyTorch trainer's own training steps (DataLoader with the paper's augmentation, ERM, Adam): samples/s. */
function torchTrainer(visualSize: number): number | null {
  try {
    const args = [join('bench', 'torch_train.py'), '--visual', String(visualSize), '--batch', String(batch), '--steps', String(steps), '--width', String(width), '--methods', 'erm'];
    const out = execFileSync('/usr/bin/python3', args, { env: { ...process.env, PYTHONPATH: 'python' }, encoding: 'utf8' });
    return (JSON.parse(out.trim().split('\n').pop()!).methods as { samplesPerSec: number }[])[0].samplesPerSec;
  } catch {
    return null;
  }
}

const rows: Row[] = [];
// Threaded wasm has to start before anything else starts the wasm backend.
if (backends.includes('wasm')) await startWasmThreads(threads);
const torch = new Map(sizes.map((s) => [s, torchStep(s)]));
const trainer = new Map(sizes.map((s) => [s, torchTrainer(s)]));
for (const backend of backends) {
  const unavailable = backend === 'webgpu' ? await nodeWebGpuAdapter() : null;
  for (const size of sizes) {
    const pt = torch.get(size) ?? null;
    if (unavailable) {
      rows.push({ backend, visualSize: size, batch, width, secondsPerStep: null, samplesPerSec: null, pytorchSamplesPerSec: pt, ratioToPytorch: null, note: unavailable });
      continue;
    }
    try {
      const s = await labStep(backend, size);
      const sps = batch / s;
      // TF.js runs wasm single-threaded in Node unless started threaded (--threads).
      const threads = backend === 'wasm' ? (await import('@tensorflow/tfjs-backend-wasm')).getThreadsCount() : null;
      const note = threads === null ? undefined : `${threads} thread${threads === 1 ? '' : 's'}`;
      rows.push({ backend, visualSize: size, batch, width, secondsPerStep: s, samplesPerSec: sps, pytorchSamplesPerSec: pt, ratioToPytorch: pt ? sps / pt : null, note });
    } catch (e) {
      rows.push({ backend, visualSize: size, batch, width, secondsPerStep: null, samplesPerSec: null, pytorchSamplesPerSec: pt, ratioToPytorch: null, note: e instanceof Error ? e.message : String(e) });
    }
    console.error(`done: ${backend} ${size}px`);
  }
}
const f = (x: number | null, d = 2) => (x === null ? '-' : x.toFixed(d));
console.log(`\nTraining step, audio 257x188 + 1 frame, batch ${batch}, width ${width} (samples/s; higher is better)`);
console.log('backend   visual  s/step   lab samples/s  PyTorch samples/s  lab/PyTorch');
for (const r of rows) console.log(`${r.backend.padEnd(9)} ${String(r.visualSize).padStart(6)}  ${f(r.secondsPerStep).padStart(6)}  ${f(r.samplesPerSec).padStart(13)}  ${f(r.pytorchSamplesPerSec).padStart(17)}  ${f(r.ratioToPytorch, 3).padStart(11)}${r.note ? '  ' + r.note : ''}`);
console.log('\nPyTorch trainer (python -m bmm_lab.train\'s steps: DataLoader with augmentation, ERM, Adam), same shapes');
console.log('visual  trainer samples/s  bare PyTorch step samples/s');
for (const size of sizes) console.log(`${String(size).padStart(6)}  ${f(trainer.get(size) ?? null).padStart(17)}  ${f(torch.get(size) ?? null).padStart(27)}`);
for (const p of profiles) {
  console.log(`\nKernels of one ${p.backend} step at ${p.visualSize} px (tf.profile), the 10 longest`);
  console.log('kernel                        calls       ms   share');
  for (const k of p.kernels.slice(0, 10)) console.log(`${k.name.padEnd(28)} ${String(k.calls).padStart(6)} ${k.ms.toFixed(0).padStart(8)} ${(100 * k.share).toFixed(1).padStart(6)} %`);
}
const trainerRows = sizes.map((size) => ({ visualSize: size, batch, width, trainerSamplesPerSec: trainer.get(size) ?? null, pytorchStepSamplesPerSec: torch.get(size) ?? null }));
mkdirSync('.bench', { recursive: true });
writeFileSync(join('.bench', 'train-step.json'), JSON.stringify({ date: new Date().toISOString(), steps, threads, rows, pytorchTrainer: trainerRows, ...(profile ? { profiles } : {}) }, null, 2));
console.log('\nwrote .bench/train-step.json');
