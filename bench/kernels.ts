/**
 * `npm run bench:kernels`: every kernel of one training step on WebGPU in Node (Dawn), or with --browser in
 * Chromium (Playwright, a production build of bench/kernels-harness.html), timed on the GPU with timestamp queries:
 * kernel, shapes, calls, ms, share of the step and achieved GFLOP/s, by phase (forward, backward, optimiser), with
 * the package's kernels ("before") and the lab's ("after"). Prints tables and writes .bench/kernels.json
 * (.bench/kernels-chromium.json; also to stdout with --json).
 *
 * `--variants` times the gradient programs one layer at a time instead: the forward convolution, the filter
 * gradient (the package's one thread per weight, the lab's split-K GEMM, the forward-convolution form of ops.ts)
 * and the input gradient (the package's direct and tiled programs), for every convolution shape of the model.
 *
 * Options: --batch N --width X --sizes 112,224 --audio 257x188 --repeats N --top N --kernels both|lab|package
 *          --variants --json --browser
 * On a software adapter (SwiftShader) the default shapes are small (say so) and the numbers are for relative use
 * only; any shape option overrides them.
 */
import * as tf from '@tensorflow/tfjs';
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { initBackend } from '../src/core/backend';
import { AUDIO_NET, VISUAL_NET } from '../src/core/model';
import { convFilterGradient } from '../src/core/ops';
import { outSize, resnetConvLayers } from '../src/core/webgpu/layerShapes';
import { installNodeWebGpu } from '../src/core/webgpu/nodeWebGpu';
import { registerWebGpuKernels } from '../src/core/webgpu/register';
import type { Browser } from 'playwright-core';
import { launchChromium, serveStatic } from './harness';
import { byKernel, KERNEL_SETS, profileSets, type StepProfile, type StepShapes } from './kernelProfile';

function arg(name: string): string | null {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] && !process.argv[i + 1].startsWith('--') ? process.argv[i + 1] : null;
}
const flag = (name: string) => process.argv.includes(`--${name}`);


type Profiler = (shapes: StepShapes, sets: ('package' | 'lab')[], repeats: number) => Promise<Record<string, StepProfile>>;

interface Target {
  adapter: string | null;
  software: boolean;
  reason?: string;
  profile: Profiler;
  close: () => Promise<void>;
}

/** WebGPU in Node through Dawn. */
async function nodeTarget(): Promise<Target> {
  const gpu = await installNodeWebGpu();
  if (gpu.adapter) {
    await initBackend('webgpu');
    tf.env().set('PROD', true);
  }
  return {
    ...gpu,
    profile: (shapes, sets, repeats) => profileSets(shapes, Object.fromEntries(sets.map((set) => [set, () => registerWebGpuKernels(KERNEL_SETS[set])])), repeats),
    close: async () => {},
  };
}

/** WebGPU in Chromium (Playwright): the harness page (bench/kernelsHarness.ts), production build. */
async function browserTarget(): Promise<Target> {
  const built = spawnSync('npx', ['vite', 'build', '--config', 'bench/vite.kernels.config.ts', '--logLevel', 'warn'], { stdio: 'inherit' });
  if (built.status !== 0) throw new Error(`vite build of the kernel harness failed (exit ${built.status})`);
  const server = await serveStatic(join('node_modules', '.cache', 'kernels-harness'), 4177);
  let browser: Browser;
  try {
    browser = await launchChromium();
  } catch (e) {
    server.close();
    return { adapter: null, software: false, reason: `Chromium did not start: ${e instanceof Error ? e.message : String(e)}`, profile: async () => ({}), close: async () => {} };
  }
  const page = await browser.newPage();
  await page.goto('http://127.0.0.1:4177/bench/kernels-harness.html');
  const adapter = await page.evaluate(async () => {
    const a = await navigator.gpu?.requestAdapter();
    return a ? [a.info.vendor, a.info.architecture, a.info.description].filter(Boolean).join(' ') || 'unknown adapter' : null;
  });
  return {
    adapter: adapter ? `${adapter} (Chromium)` : null,
    software: !!adapter && /swiftshader|llvmpipe|lavapipe|software/i.test(adapter),
    reason: adapter ? undefined : 'no WebGPU adapter in Chromium',
    profile: async (shapes, sets, repeats) => (await page.evaluate(([sh, st, r]) => window.profileKernels(sh, st, r), [shapes, sets, repeats] as const)).profiles,
    close: async () => {
      await browser.close();
      server.close();
    },
  };
}

const target = flag('browser') ? await browserTarget() : await nodeTarget();
const out: Record<string, unknown> = { date: new Date().toISOString(), where: flag('browser') ? 'chromium' : 'node', adapter: target.adapter, software: target.software };
const SOFTWARE_NOTE = 'software adapter (SwiftShader or similar): the GPU is emulated on the CPU; times are for relative use only';

if (!target.adapter) {
  console.log(`no WebGPU ${flag('browser') ? 'in Chromium' : 'in Node'}: ${target.reason}`);
  out.note = target.reason;
} else {
  const explicit = ['batch', 'width', 'sizes', 'audio'].some((o) => arg(o) !== null);
  const small = target.software && !explicit;
  const batch = Number(arg('batch') ?? (small ? 2 : 16));
  const width = Number(arg('width') ?? (small ? 0.25 : 1));
  const sizes = (arg('sizes') ?? (small ? '56' : '112,224')).split(',').map(Number);
  const audioHW = (arg('audio') ?? (small ? '129x94' : '257x188')).split('x').map(Number) as [number, number];
  console.log(`adapter: ${target.adapter}`);
  if (target.software) console.log(`${SOFTWARE_NOTE}${small ? `; small shapes by default (batch ${batch}, width ${width}, audio ${audioHW.join('x')}, visual ${sizes.join(',')} px)` : ''}`);
  if (target.software) out.note = SOFTWARE_NOTE;
  Object.assign(out, { batch, width, sizes, audioHW });
  if (flag('variants') && flag('browser')) console.log('--variants runs in Node only');
  else if (flag('variants')) out.variants = await variants(batch, width, sizes, audioHW);
  else out.steps = await steps(target.profile, batch, width, sizes, audioHW);
}
await target.close();
mkdirSync('.bench', { recursive: true });
const outFile = join('.bench', flag('browser') ? 'kernels-chromium.json' : 'kernels.json');
writeFileSync(outFile, JSON.stringify(out, null, 2));
if (flag('json')) console.log(JSON.stringify(out, null, 2));
console.log(`\nwrote ${outFile}`);
process.exit(0);

async function steps(profile: Profiler, batch: number, width: number, sizes: number[], audioHW: [number, number]) {
  const which = arg('kernels') ?? 'both';
  const sets = (which === 'both' ? ['package', 'lab'] : [which]) as ('package' | 'lab')[];
  const top = Number(arg('top') ?? 25);
  const repeats = Number(arg('repeats') ?? 3);
  const results: { kernels: string; profile: StepProfile }[] = [];
  for (const visualSize of sizes) {
    const shapes: StepShapes = { batch, width, audioHW, visualSize };
    console.error(`profiling: ${sets.join(' and ')} kernels, visual ${visualSize} px, ${repeats} repeats`);
    const profiles = await profile(shapes, sets, repeats);
    for (const set of sets) {
      results.push({ kernels: set, profile: profiles[set] });
      printProfile(set, profiles[set], top);
    }
    if (sets.length === 2) {
      const [before, after] = [profiles.package, profiles.lab];
      console.log(`\nvisual ${visualSize} px: step ${f(before.wallMs, 0)} -> ${f(after.wallMs, 0)} ms wall (x${f(before.wallMs / after.wallMs)}), kernels ${f(before.kernelMs, 0)} -> ${f(after.kernelMs, 0)} ms GPU (x${f(before.kernelMs / after.kernelMs)}), ${before.kernels} -> ${after.kernels} kernels`);
      const groups: [string, (k: string) => boolean][] = [
        ['Conv2DBackpropFilter', (k) => k === 'Conv2DBackpropFilter'],
        ['Conv2DBackpropInput', (k) => k === 'Conv2DBackpropInput'],
        ['Conv2D', (k) => k === 'Conv2D'],
        ['BmmBatchNorm* + Mean, Sum, Sub, Square, Rsqrt, Transpose', (k) => k.startsWith('BmmBatchNorm') || ['Mean', 'Sum', 'Sub', 'Square', 'Rsqrt', 'Transpose'].includes(k)],
      ];
      for (const [label, match] of groups) {
        const ms = (p: StepProfile) => byKernel(p).filter((r) => match(r.kernel)).reduce((a, r) => a + r.ms, 0);
        const b = ms(before);
        const a = ms(after);
        console.log(`  ${label.padEnd(52)} ${f(b, 0).padStart(8)} ms (${pct(b / before.kernelMs)}) -> ${f(a, 0).padStart(8)} ms (${pct(a / after.kernelMs)})  x${f(b / a)}`);
      }
    }
  }
  return results;
}

function printProfile(set: string, p: StepProfile, top: number) {
  const s = p.shapes;
  console.log(`\n== ${set} kernels: batch ${s.batch}, width ${s.width}, audio ${s.audioHW.join('x')}, visual ${s.visualSize} px ==`);
  if (p.timing !== 'timestamp-query') console.log('timestamp queries are unavailable on this adapter: kernel times read 0');
  console.log(`step: ${f(p.wallMs, 1)} ms wall unprofiled; ${p.kernels} kernels, ${f(p.kernelMs, 1)} ms GPU time (timestamp queries, one compute pass per program)`);
  console.log(`phases: ${(Object.entries(p.phases) as [string, { ms: number; calls: number }][]).map(([k, v]) => `${k} ${f(v.ms, 1)} ms (${pct(v.ms / p.kernelMs)}, ${v.calls} kernels)`).join('; ')}`);
  console.log('\nby kernel                  calls        ms   share  GFLOP/s');
  for (const r of byKernel(p).slice(0, top)) console.log(`${r.kernel.padEnd(24)} ${String(r.calls).padStart(7)} ${f(r.ms, 1).padStart(9)} ${pct(r.share).padStart(7)} ${f(r.gflops).padStart(8)}`);
  console.log(`\ntop ${top} by kernel and shape`);
  console.log('phase      kernel                   calls        ms   share  GFLOP/s     GB/s  shape');
  for (const r of p.rows.slice(0, top)) {
    console.log(`${r.phase.padEnd(10)} ${r.kernel.padEnd(24)} ${String(r.calls).padStart(5)} ${f(r.ms, 1).padStart(9)} ${pct(r.share).padStart(7)} ${f(r.gflops).padStart(8)} ${f(r.gbps).padStart(8)}  ${r.shape}`);
  }
}

async function variants(batch: number, width: number, sizes: number[], audioHW: [number, number]) {
  const layers = [...resnetConvLayers(AUDIO_NET, batch, audioHW[0], audioHW[1], 1, width), ...sizes.flatMap((v) => resnetConvLayers(VISUAL_NET, batch, v, v, 3, width))];
  const seen = new Set<string>();
  const rows: Record<string, unknown>[] = [];
  console.log('\nGPU ms per call (GFLOP/s); fwd: the package\'s programs or the lab\'s GEMM; dW: package = one thread per weight, split-k = the lab\'s GEMM, fwd-conv = ops.ts\'s form; dX: direct / tiled programs');
  console.log('layer                              input            kernel          fwd package      fwd gemm         dW package       dW split-k       dW fwd-conv      dX direct        dX tiled');
  for (const layer of layers) {
    const key = JSON.stringify([layer.inputNHWC, layer.kernelHWIO, layer.stride, layer.pad]);
    if (seen.has(key)) continue;
    seen.add(key);
    const [n, h, w] = layer.inputNHWC;
    const [k, , ci, co] = layer.kernelHWIO;
    const dyShape: [number, number, number, number] = [n, outSize(h, k, layer.stride, layer.pad), outSize(w, k, layer.stride, layer.pad), co];
    const flops = 2 * dyShape.reduce((a, b) => a * b, 1) * k * k * ci;
    const x = tf.randomNormal(layer.inputNHWC) as tf.Tensor4D;
    const kernel = tf.randomNormal(layer.kernelHWIO) as tf.Tensor4D;
    const dy = tf.randomNormal(dyShape) as tf.Tensor4D;
    const attrs = { strides: layer.stride, pad: layer.pad, dataFormat: 'NHWC' };
    const dW = () => tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, { ...attrs, filterShape: layer.kernelHWIO }) as tf.Tensor;
    const dX = () => tf.engine().runKernel('Conv2DBackpropInput', { dy, filter: kernel }, { ...attrs, inputShape: layer.inputNHWC }) as tf.Tensor;
    const r: Record<string, number | null> = {};
    r.forward = await gpuMs(() => tf.conv2d(x, kernel, layer.stride, layer.pad));
    registerWebGpuKernels({ forward: 'gemm' });
    r.forwardGemm = await gpuMs(() => tf.conv2d(x, kernel, layer.stride, layer.pad));
    registerWebGpuKernels();
    registerWebGpuKernels({ filterGradient: 'package' });
    r.dwPackage = await gpuMs(dW);
    registerWebGpuKernels({ filterGradient: 'split-k' });
    r.dwSplitK = await gpuMs(dW);
    r.dwForwardConv = await gpuMs(() => convFilterGradient(x, dy, k, k, layer.stride, layer.pad));
    r.dxDirect = r.dxTiled = null;
    if (layer.inputGradient) {
      registerWebGpuKernels({ inputGradient: 'direct' });
      r.dxDirect = await gpuMs(dX);
      registerWebGpuKernels({ inputGradient: 'tiled' });
      r.dxTiled = await gpuMs(dX);
    }
    registerWebGpuKernels();
    tf.dispose([x, kernel, dy]);
    const cell = (ms: number | null) => (ms === null ? '-' : `${f(ms, 2)} (${f(flops / (ms * 1e6), 1)})`).padEnd(16);
    console.log(`${layer.name.padEnd(34)} ${layer.inputNHWC.join('x').padEnd(16)} ${layer.kernelHWIO.join('x')}/${layer.stride}`.padEnd(68) + ` ${cell(r.forward)} ${cell(r.forwardGemm)} ${cell(r.dwPackage)} ${cell(r.dwSplitK)} ${cell(r.dwForwardConv)} ${cell(r.dxDirect)} ${cell(r.dxTiled)}`);
    rows.push({ layer: layer.name, inputNHWC: layer.inputNHWC, kernelHWIO: layer.kernelHWIO, stride: layer.stride, pad: layer.pad, flops, ms: r });
  }
  const sum = (key: string) => rows.reduce((a, row) => a + (((row.ms as Record<string, number | null>)[key] ?? 0) as number), 0);
  console.log(`\nsummed over the distinct layer shapes (ms): forward package ${f(sum('forward'), 1)}, gemm ${f(sum('forwardGemm'), 1)}; dW package ${f(sum('dwPackage'), 1)}, split-k ${f(sum('dwSplitK'), 1)}, fwd-conv ${f(sum('dwForwardConv'), 1)}; dX direct ${f(sum('dxDirect'), 1)}, tiled ${f(sum('dxTiled'), 1)}`);
  return rows;
}

/** GPU time of f's kernels (timestamp queries), best of two after a warm-up call. */
async function gpuMs(fn: () => tf.Tensor): Promise<number> {
  const warm = fn();
  await warm.data();
  warm.dispose();
  let best = Infinity;
  for (let i = 0; i < 2; i++) {
    const p = await tf.profile(fn);
    (p.result as tf.Tensor).dispose();
    best = Math.min(best, p.kernels.reduce((a, k) => a + (k.kernelTimeMs as number), 0));
  }
  return best;
}

function f(x: number | null, d = 2): string {
  return x === null || !Number.isFinite(x) ? '-' : x.toFixed(d);
}
function pct(x: number): string {
  return `${(100 * x).toFixed(1)}%`;
}
