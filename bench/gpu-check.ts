/**
 * The GPU check (bench/gpu-check.sh runs it): seconds per training step of the lab on WebGPU through Dawn, with
 * the package's gradient kernels and with the lab's, next to PyTorch (CUDA, float32) on the same model and shapes;
 * then the lab step's kernels (timestamp queries) at the first size. Prints tables, writes .bench/gpu-check.json.
 *
 * Options: --batch 64 --sizes 112,224 --audio 257x188 --width 1 --steps 5 --python python3 --torch-device cuda
 *          --no-profile --allow-software (a dry run on SwiftShader: the numbers mean nothing)
 */
import * as tf from '@tensorflow/tfjs';
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { initBackend } from '../src/core/backend';
import { installNodeWebGpu } from '../src/core/webgpu/nodeWebGpu';
import { registerWebGpuKernels } from '../src/core/webgpu/register';
import { byKernel, KERNEL_SETS, profileSets, stepFixture, type StepShapes } from './kernelProfile';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] && !process.argv[i + 1].startsWith('--') ? process.argv[i + 1] : fallback;
}
const flag = (name: string) => process.argv.includes(`--${name}`);

const batch = Number(arg('batch', '64'));
const sizes = arg('sizes', '112,224').split(',').map(Number);
const audioHW = arg('audio', '257x188').split('x').map(Number) as [number, number];
const width = Number(arg('width', '1'));
const steps = Number(arg('steps', '5'));
const python = arg('python', 'python3');
const torchDevice = arg('torch-device', 'cuda');


const gpu = await installNodeWebGpu();
if (!gpu.adapter) {
  console.error(`gpu-check: no WebGPU adapter in Node: ${gpu.reason}`);
  process.exit(2);
}
if (gpu.software && !flag('allow-software')) {
  console.error(`gpu-check: the only WebGPU adapter is a software one (${gpu.adapter}); this check needs a GPU with a Vulkan driver`);
  process.exit(2);
}
await initBackend('webgpu');
tf.env().set('PROD', true);
console.log(`adapter: ${gpu.adapter}${gpu.software ? ' (software: a dry run, the numbers mean nothing)' : ''}`);
console.log(`shapes: batch ${batch}, width ${width}, audio ${audioHW.join('x')}, one frame of ${sizes.join(' and ')} px; ${steps} timed steps (median)`);

/** Median seconds per step on the active kernels, after one warm-up step (pipelines compile there). */
async function labSeconds(shapes: StepShapes): Promise<number> {
  const fixture = stepFixture(shapes);
  try {
    await fixture.run();
    const times: number[] = [];
    for (let i = 0; i < steps; i++) {
      const t0 = performance.now();
      await fixture.run();
      times.push((performance.now() - t0) / 1000);
    }
    times.sort((a, b) => a - b);
    return times[Math.floor(times.length / 2)];
  } finally {
    fixture.dispose();
  }
}

function torchSeconds(visualSize: number): { seconds: number | null; device?: string; note?: string } {
  try {
    const args = [join('bench', 'torch_step.py'), '--device', torchDevice, '--visual', String(visualSize), '--batch', String(batch), '--steps', String(steps), '--width', String(width), '--audio-h', String(audioHW[0]), '--audio-w', String(audioHW[1])];
    const out = execFileSync(python, args, { env: { ...process.env, PYTHONPATH: 'python' }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    const r = JSON.parse(out.trim().split('\n').pop()!) as { secondsPerStep: number; device: string };
    return { seconds: r.secondsPerStep, device: r.device };
  } catch (e) {
    const err = e as { stderr?: string; message?: string };
    return { seconds: null, note: (err.stderr || err.message || String(e)).trim().split('\n').pop() };
  }
}

const rows: Record<string, unknown>[] = [];
for (const visualSize of sizes) {
  const shapes: StepShapes = { batch, width, audioHW, visualSize };
  const lab: Record<string, number | null> = {};
  for (const set of ['package', 'lab'] as const) {
    registerWebGpuKernels(KERNEL_SETS[set]);
    console.error(`timing the lab step, ${set} kernels, ${visualSize} px`);
    try {
      lab[set] = await labSeconds(shapes);
    } catch (e) {
      lab[set] = null;
      console.error(`  failed: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  registerWebGpuKernels();
  console.error(`timing PyTorch (${torchDevice}), ${visualSize} px`);
  const torch = torchSeconds(visualSize);
  rows.push({ visualSize, batch, width, labSecondsPackageKernels: lab.package, labSeconds: lab.lab, pytorchSeconds: torch.seconds, pytorchDevice: torch.device ?? null, note: torch.note ?? null });
}

const f = (x: unknown, d = 3) => (typeof x === 'number' && Number.isFinite(x) ? x.toFixed(d) : '-');
console.log('\nseconds per training step (lower is better); samples/s ratio = PyTorch s / lab s');
console.log('visual  lab, package kernels  lab, lab kernels  PyTorch (float32)  lab/PyTorch  lab kernels speed-up');
for (const r of rows) {
  const labS = r.labSeconds as number | null;
  const pkg = r.labSecondsPackageKernels as number | null;
  const pt = r.pytorchSeconds as number | null;
  const ratio = labS && pt ? pt / labS : null;
  const speedup = labS && pkg ? pkg / labS : null;
  r.ratioToPytorch = ratio;
  console.log(`${String(r.visualSize).padStart(6)}  ${f(pkg).padStart(20)}  ${f(labS).padStart(16)}  ${f(pt).padStart(17)}  ${f(ratio).padStart(11)}  ${f(speedup, 2).padStart(20)}${r.note ? `  PyTorch: ${r.note}` : ''}`);
}
if (rows[0]?.pytorchDevice) console.log(`PyTorch device: ${rows[0].pytorchDevice}`);

let profile: unknown = null;
if (!flag('no-profile')) {
  const shapes: StepShapes = { batch, width, audioHW, visualSize: sizes[0] };
  console.error(`profiling the lab step's kernels, ${sizes[0]} px`);
  const p = (await profileSets(shapes, { lab: () => registerWebGpuKernels() }, 1)).lab;
  profile = p;
  console.log(`\nlab kernels at ${sizes[0]} px: ${p.kernels} kernels, ${f(p.kernelMs, 1)} ms GPU time (timestamp queries) against ${f(p.wallMs, 1)} ms wall`);
  console.log('kernel                     calls        ms   share  GFLOP/s');
  for (const r of byKernel(p).slice(0, 15)) console.log(`${r.kernel.padEnd(24)} ${String(r.calls).padStart(7)} ${f(r.ms, 1).padStart(9)} ${(100 * r.share).toFixed(1).padStart(6)}% ${f(r.gflops, 1).padStart(8)}`);
}
mkdirSync('.bench', { recursive: true });
writeFileSync(join('.bench', 'gpu-check.json'), JSON.stringify({ date: new Date().toISOString(), adapter: gpu.adapter, software: gpu.software, steps, rows, profile }, null, 2));
console.log('\nwrote .bench/gpu-check.json');
process.exit(0);
