/**
 * `bmm-lab eval`: runs exported weights in eval mode on inputs given in PyTorch layout and writes the logits.
 * Inputs (safetensors): `audio`, the first branch's input, and `visual`, the second's, float: a spectrogram
 * [N, 1, H, W] or frames [N, C, T, H, W] by the weights' `modalities`. Outputs (safetensors, F32):
 * `logits`, `logits_audio`, `logits_visual`, each [N, num_classes].
 */
import * as tf from '@tensorflow/tfjs';
import { readFile, writeFile } from 'node:fs/promises';
import { initBackend } from '../core/backend';
import { importSafetensors } from '../core/export';
import type { BranchInput } from '../core/methods/method';
import { KIND_CHANNELS, type ModalityKind } from '../core/modalities';
import { AVModel } from '../core/model';
import { Rng } from '../core/random';
import { decodeSafetensors, encodeSafetensors, toFloat32Array } from '../core/safetensors';
import type { EvalArgs } from './args';
import type { Output } from './main';

export interface EvalLogits {
  logits: Float32Array;
  audio: Float32Array;
  visual: Float32Array;
}

interface TorchInput {
  data: Float32Array;
  shape: number[];
}

/** Checks a PyTorch-layout input against the branch's kind: a spectrogram [N, 1, H, W] or frames [N, C, T, H, W]. */
function checkInput(name: string, x: TorchInput, kind: ModalityKind): void {
  const spectrogram = kind === 'spectrogram';
  const layout = spectrogram ? '[N, 1, H, W]' : '[N, C, T, H, W]';
  if (x.shape.length !== (spectrogram ? 4 : 5)) throw new Error(`input "${name}" (${kind}) must be ${layout}, got [${x.shape.join(', ')}]`);
  if (x.shape[1] !== KIND_CHANNELS[kind]) throw new Error(`input "${name}" has ${x.shape[1]} channels; the model's ${kind} branch expects ${KIND_CHANNELS[kind]}`);
}

/** Rows [start, start + b) of a PyTorch-layout input as the lab's NHWC / NTHWC tensor. */
function branchRows(x: TorchInput, start: number, b: number): BranchInput {
  const [, ...rest] = x.shape;
  const size = rest.reduce((p, d) => p * d, 1);
  const t = tf.tensor(x.data.subarray(start * size, (start + b) * size), [b, ...rest]);
  return (rest.length === 3 ? tf.transpose(t, [0, 2, 3, 1]) : tf.transpose(t, [0, 2, 3, 4, 1])) as BranchInput;
}

/** Eval-mode logits of a model for its two branches' inputs in PyTorch layout, in batches. */
export async function evaluateTorchInputs(model: AVModel, audio: TorchInput, visual: TorchInput, batchSize = 16): Promise<EvalLogits> {
  const [first, second] = model.options.modalities;
  checkInput('audio', audio, first);
  checkInput('visual', visual, second);
  const n = audio.shape[0];
  if (n !== visual.shape[0]) throw new Error(`inputs disagree on N: audio has ${n}, visual has ${visual.shape[0]}`);
  const C = model.options.numClasses;
  const out = { logits: new Float32Array(n * C), audio: new Float32Array(n * C), visual: new Float32Array(n * C) };
  for (let start = 0; start < n; start += batchSize) {
    const b = Math.min(batchSize, n - start);
    const res = tf.tidy(() => {
      const o = model.forward(branchRows(audio, start, b), branchRows(visual, start, b), { training: false });
      const u = model.unimodal(o.za, o.zv);
      return tf.stack([o.logits, u.audio, u.visual]);
    });
    const values = (await res.data()) as Float32Array;
    res.dispose();
    out.logits.set(values.subarray(0, b * C), start * C);
    out.audio.set(values.subarray(b * C, 2 * b * C), start * C);
    out.visual.set(values.subarray(2 * b * C, 3 * b * C), start * C);
  }
  return out;
}

export async function runEval(args: EvalArgs, io: Output): Promise<number> {
  await initBackend(args.backend);
  const imported = importSafetensors(await readFile(args.weights));
  const model = new AVModel(imported.options, new Rng(0));
  try {
    model.params.write(imported.weights);
    const inputs = decodeSafetensors(await readFile(args.inputs)).tensors;
    const get = (name: string) => {
      const t = inputs.get(name);
      if (!t) throw new Error(`${args.inputs} has no tensor "${name}"`);
      return { data: toFloat32Array(t), shape: t.shape };
    };
    const r = await evaluateTorchInputs(model, get('audio'), get('visual'));
    const n = inputs.get('audio')!.shape[0];
    const C = imported.options.numClasses;
    await writeFile(
      args.out,
      encodeSafetensors(
        [
          { name: 'logits', dtype: 'F32', shape: [n, C], data: r.logits },
          { name: 'logits_audio', dtype: 'F32', shape: [n, C], data: r.audio },
          { name: 'logits_visual', dtype: 'F32', shape: [n, C], data: r.visual },
        ],
        { class_names: JSON.stringify(imported.meta?.classNames ?? []) },
      ),
    );
    io.err(`wrote ${args.out}: logits for ${n} clips x ${C} classes`);
    return 0;
  } finally {
    model.dispose();
  }
}
