/**
 * `bmm-lab eval`: runs exported weights in eval mode on inputs given in PyTorch layout and writes the logits.
 * Inputs (safetensors): `audio` [N, 1, H, W] and `visual` [N, C, T, H, W], float. Outputs (safetensors, F32):
 * `logits`, `logits_audio`, `logits_visual`, each [N, num_classes].
 */
import * as tf from '@tensorflow/tfjs';
import { readFile, writeFile } from 'node:fs/promises';
import { initBackend } from '../core/backend';
import { importSafetensors } from '../core/export';
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

/** Eval-mode logits of a model for NCHW audio and NCTHW visual inputs, in batches. */
export async function evaluateTorchInputs(
  model: AVModel,
  audio: { data: Float32Array; shape: number[] },
  visual: { data: Float32Array; shape: number[] },
  batchSize = 16,
): Promise<EvalLogits> {
  const [n, ac, ah, aw] = audio.shape;
  const [nv, vc, t, vh, vw] = visual.shape;
  if (audio.shape.length !== 4) throw new Error(`input "audio" must be [N, 1, H, W], got [${audio.shape.join(', ')}]`);
  if (visual.shape.length !== 5) throw new Error(`input "visual" must be [N, C, T, H, W], got [${visual.shape.join(', ')}]`);
  if (n !== nv) throw new Error(`inputs disagree on N: audio has ${n}, visual has ${nv}`);
  if (ac !== model.options.audioChannels) throw new Error(`input "audio" has ${ac} channels; the model expects ${model.options.audioChannels}`);
  if (vc !== model.options.visualChannels) throw new Error(`input "visual" has ${vc} channels; the model expects ${model.options.visualChannels}`);
  const C = model.options.numClasses;
  const out = { logits: new Float32Array(n * C), audio: new Float32Array(n * C), visual: new Float32Array(n * C) };
  const aSize = ac * ah * aw;
  const vSize = vc * t * vh * vw;
  for (let start = 0; start < n; start += batchSize) {
    const b = Math.min(batchSize, n - start);
    const res = tf.tidy(() => {
      const a = tf.transpose(tf.tensor4d(audio.data.subarray(start * aSize, (start + b) * aSize), [b, ac, ah, aw]), [0, 2, 3, 1]) as tf.Tensor4D;
      const v = tf.transpose(tf.tensor5d(visual.data.subarray(start * vSize, (start + b) * vSize), [b, vc, t, vh, vw]), [0, 2, 3, 4, 1]) as tf.Tensor5D;
      const o = model.forward(a, v, { training: false });
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
