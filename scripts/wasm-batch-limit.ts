/**
 * The largest training batch that fits in the WebAssembly backend's memory (4 GB at most) at a preset: one training
 * step (ERM, concat, the preset's width, input sizes and frames per clip) in a fresh process per batch size, the
 * peak of the tensors' bytes during it (tf.profile) and the wasm heap after it. Two small batches give a line of the
 * heap, base + perClip x batch; from the batch it puts at 4 GB, steps are run up (or down) to the largest that runs,
 * the next one up failing. Prints a JSON line per measurement and the entry for src/cli/memoryLimits.ts.
 *
 *   npx tsx scripts/wasm-batch-limit.ts --preset paper [--batches 2,4] [--no-check]
 */
import * as tf from '@tensorflow/tfjs';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { initBackend } from '../src/core/backend';
import { makeConfig, PRESETS, type PresetName } from '../src/core/config';
import { createMethod } from '../src/core/methods';
import { AVModel } from '../src/core/model';
import { Adam } from '../src/core/optimizer';
import { Rng } from '../src/core/random';
import { trainStep, variableNameMap } from '../src/core/trainStep';
import { AUDIO_RGB } from '../src/core/modalities';

const LIMIT = 4 * 1024 ** 3;

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
}

interface Measure {
  preset: string;
  batch: number;
  ok: boolean;
  peakBytes?: number;
  heapBytes?: number;
  seconds?: number;
  error?: string;
}

/** One step at `batch` in this process. */
async function child(preset: PresetName, batch: number): Promise<Measure> {
  await initBackend('wasm');
  tf.env().set('PROD', true);
  const config = makeConfig({ method: 'erm', fusion: 'concat', preset, batch });
  const rng = new Rng(0);
  const model = new AVModel({ numClasses: 6, fusion: 'concat', width: config.width, modalities: AUDIO_RGB }, rng.fork());
  const params = new Map([...model.params.vars].filter(([, v]) => v.trainable));
  const opt = new Adam(params, { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 1e-4 });
  const method = createMethod(config);
  method.beginEpoch({ epoch: 0, rho: null });
  const names = variableNameMap(model);
  const t0 = performance.now();
  try {
    const labels = tf.tensor1d(Array.from({ length: batch }, (_, i) => i % 6), 'int32');
    const tensors = {
      audio: tf.randomNormal([batch, config.audioHeight, config.audioWidth, 1], 0, 1, 'float32', 1) as tf.Tensor4D,
      visual: tf.randomNormal([batch, config.frames, config.visualSize, config.visualSize, 3], 0, 1, 'float32', 2) as tf.Tensor5D,
      labels,
      oneHot: tf.oneHot(labels, 6).toFloat() as tf.Tensor2D,
    };
    const profile = await tf.profile(async () => {
      await trainStep(model, opt, method, tensors, rng, names);
    });
    const heap = (tf.backend() as unknown as { wasm?: { HEAPU8?: Uint8Array } }).wasm?.HEAPU8?.length;
    return { preset, batch, ok: true, peakBytes: profile.peakBytes, heapBytes: heap, seconds: (performance.now() - t0) / 1000 };
  } catch (e) {
    return { preset, batch, ok: false, error: e instanceof Error ? e.message : String(e), seconds: (performance.now() - t0) / 1000 };
  }
}

const measured = new Map<number, Measure>();

function measure(preset: PresetName, batch: number): Measure {
  const m = run(preset, batch);
  measured.set(batch, m);
  return m;
}

function run(preset: PresetName, batch: number): Measure {
  const script = fileURLToPath(import.meta.url);
  try {
    const out = execFileSync('npx', ['tsx', script, '--child', '--preset', preset, '--batch', String(batch)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 1 << 20 });
    return JSON.parse(out.trim().split('\n').pop()!) as Measure;
  } catch (e) {
    // The process itself died (the wasm heap could not grow and it aborted).
    const text = (e as { stderr?: string }).stderr ?? String(e);
    return { preset, batch, ok: false, error: text.trim().split('\n').slice(-3).join(' ') };
  }
}

const preset = arg('preset', 'paper') as PresetName;
if (!PRESETS.includes(preset)) throw new Error(`--preset must be one of ${PRESETS.join(', ')}`);
if (process.argv.includes('--child')) {
  console.log(JSON.stringify(await child(preset, Number(arg('batch', '2')))));
} else {
  const [b1, b2] = arg('batches', '2,4').split(',').map(Number);
  const m1 = measure(preset, b1);
  console.log(JSON.stringify(m1));
  const m2 = measure(preset, b2);
  console.log(JSON.stringify(m2));
  if (!m1.ok || !m2.ok || m1.heapBytes === undefined || m2.heapBytes === undefined) throw new Error('the small batches did not run');
  // The heap only grows (to the step's high-water mark, in steps of at most 20 %): a line through two of them.
  const perClip = (m2.heapBytes - m1.heapBytes) / (b2 - b1);
  const base = m1.heapBytes - perClip * b1;
  let maxBatch = Math.floor((LIMIT - base) / perClip);
  console.log(JSON.stringify({ preset, baseBytes: Math.round(base), perClipBytes: Math.round(perClip), predictedMaxBatch: maxBatch }));
  if (!process.argv.includes('--no-check')) {
    // From the prediction: up while steps run, else down until one does.
    let m = measure(preset, maxBatch);
    console.log(JSON.stringify(m));
    if (m.ok) {
      for (;;) {
        const up = measure(preset, maxBatch + 1);
        console.log(JSON.stringify(up));
        if (!up.ok) break;
        maxBatch++;
      }
    } else {
      // Down in steps of 1 % (at least 1) until one runs, then up one at a time to the last that runs.
      const step = Math.max(1, Math.floor(maxBatch / 100));
      while (!m.ok && maxBatch > 1) {
        maxBatch = Math.max(1, maxBatch - step);
        m = measure(preset, maxBatch);
        console.log(JSON.stringify(m));
      }
      while (step > 1) {
        const up = measure(preset, maxBatch + 1);
        console.log(JSON.stringify(up));
        if (!up.ok) break;
        maxBatch++;
      }
    }
  }
  // The table's line: through the smallest batch and the largest that ran (the heap is not linear in between).
  const top = measured.get(maxBatch);
  const slope = top?.heapBytes !== undefined && maxBatch > b1 ? (top.heapBytes - m1.heapBytes) / (maxBatch - b1) : perClip;
  const config = makeConfig({ preset });
  console.log(
    `\n${preset}: { width: ${config.width}, frames: ${config.frames}, baseBytes: ${Math.round(m1.heapBytes - slope * b1)}, perClipBytes: ${Math.round(slope)}, maxBatch: ${maxBatch} },`,
  );
}
