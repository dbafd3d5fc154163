import * as tf from '@tensorflow/tfjs';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FUSIONS } from './config';
import { exportSafetensors, importSafetensors, torchShape } from './export';
import { AVModel, modelParamSpecs } from './model';
import { runPython, skipWithoutTorch } from '../../test/support/pythonReference';
import { Rng } from './random';
import { decodeSafetensors, toFloat32Array } from './safetensors';
import { maxRelativeError, useBackend } from '../../test/support/testBackend';
import { AUDIO_RGB, KIND_CHANNELS, MODALITY_PAIRS, RGB_FLOW } from './modalities';

const TESTDATA = join(import.meta.dirname, 'testdata');

describe('ResNet-18 encoder shapes', () => {
  const shapesOf = async (input: [number, number, number, number], prefix: 'audio_net' | 'visual_net') => {
    await useBackend('wasm');
    const model = new AVModel({ numClasses: 6, fusion: 'concat', width: 1 / 16, modalities: AUDIO_RGB }, new Rng(0));
    const taps = new Map<string, tf.Tensor4D>();
    tf.tidy(() => {
      const x = tf.zeros(input) as tf.Tensor4D;
      if (prefix === 'audio_net') model.encodeAudio(x, { training: false, taps });
      else model.encodeVisual(tf.reshape(x, [input[0], 1, input[1], input[2], input[3]]) as tf.Tensor5D, { training: false, taps });
    });
    const shapes = Object.fromEntries([...taps].map(([k, t]) => [k.slice(prefix.length + 1), t.shape.slice(1)]));
    tf.dispose([...taps.values()]);
    model.dispose();
    return shapes;
  };

  it('audio 257 x 188 gives 129x94, 65x47 after the max pool, then 65x47, 33x24, 17x12, 9x6', async () => {
    const s = await shapesOf([1, 257, 188, 1], 'audio_net');
    expect(s).toEqual({
      conv1: [129, 94, 4],
      maxpool: [65, 47, 4],
      'layer1.0': [65, 47, 4],
      'layer1.1': [65, 47, 4],
      'layer2.0': [33, 24, 8],
      'layer2.1': [33, 24, 8],
      'layer3.0': [17, 12, 16],
      'layer3.1': [17, 12, 16],
      'layer4.0': [9, 6, 32],
      'layer4.1': [9, 6, 32],
    });
  });

  it('visual 224 gives 112, 56, 56, 28, 14, 7', async () => {
    const s = await shapesOf([1, 224, 224, 3], 'visual_net');
    expect([s.conv1, s.maxpool, s['layer1.1'], s['layer2.1'], s['layer3.1'], s['layer4.1']]).toEqual([
      [112, 112, 4],
      [56, 56, 4],
      [56, 56, 4],
      [28, 28, 8],
      [14, 14, 16],
      [7, 7, 32],
    ]);
  });

  it('visual 112 gives 56, 28, 28, 14, 7, 4', async () => {
    const s = await shapesOf([1, 112, 112, 3], 'visual_net');
    expect([s.conv1, s.maxpool, s['layer1.1'], s['layer2.1'], s['layer3.1'], s['layer4.1']]).toEqual([
      [56, 56, 4],
      [28, 28, 4],
      [28, 28, 4],
      [14, 14, 8],
      [7, 7, 16],
      [4, 4, 32],
    ]);
  });

  it('z_a, z_v are [B, 512 * width] and the visual branch averages over T frames', async () => {
    await useBackend('wasm');
    const model = new AVModel({ numClasses: 4, fusion: 'concat', width: 0.125, modalities: AUDIO_RGB }, new Rng(1));
    const frames = tf.randomNormal([2, 1, 32, 32, 3], 0, 1, 'float32', 3) as tf.Tensor5D;
    const one = model.encodeVisual(frames, { training: false });
    // The same frame repeated 3 times averages to the same feature.
    const three = model.encodeVisual(tf.concat([frames, frames, frames], 1) as tf.Tensor5D, { training: false });
    expect(one.shape).toEqual([2, 64]);
    expect(maxRelativeError(await three.data(), await one.data())).toBeLessThan(1e-5);
    const za = model.encodeAudio(tf.randomNormal([2, 33, 24, 1]) as tf.Tensor4D, { training: false });
    expect(za.shape).toEqual([2, 64]);
    model.dispose();
  });
});

describe('branch kinds', () => {
  it('every supported pair: conv1 takes the kind’s channels and each branch its input shape, giving [B, d]', async () => {
    await useBackend('wasm');
    const input = (kind: string): tf.Tensor4D | tf.Tensor5D =>
      (kind === 'spectrogram' ? tf.zeros([2, 33, 24, 1]) : tf.zeros([2, 2, 32, 32, kind === 'rgb' ? 3 : 2])) as tf.Tensor4D | tf.Tensor5D;
    for (const pair of MODALITY_PAIRS) {
      const model = new AVModel({ numClasses: 3, fusion: 'sum', width: 0.0625, modalities: pair }, new Rng(1));
      expect([model.params.get('audio_net.conv1.weight').shape[2], model.params.get('visual_net.conv1.weight').shape[2]], pair.join('+')).toEqual(pair.map((k) => KIND_CHANNELS[k]));
      const out = tf.tidy(() => {
        const o = model.forward(input(pair[0]), input(pair[1]), { training: false });
        return [o.za.shape, o.zv.shape, o.logits.shape];
      });
      expect(out, pair.join('+')).toEqual([[2, 32], [2, 32], [2, 3]]);
      model.dispose();
    }
  });

  it('RGB + flow: both encoders take frames [B, T, S, S, C] (3 and 2 channels) and average over T; a spectrogram-shaped input is refused', async () => {
    await useBackend('wasm');
    const model = new AVModel({ numClasses: 4, fusion: 'concat', width: 0.125, modalities: RGB_FLOW }, new Rng(1));
    expect(model.params.get('audio_net.conv1.weight').shape).toEqual([7, 7, 3, 8]);
    expect(model.params.get('visual_net.conv1.weight').shape).toEqual([7, 7, 2, 8]);
    const rgb = tf.randomNormal([2, 1, 32, 32, 3], 0, 1, 'float32', 3) as tf.Tensor5D;
    const flow = tf.randomNormal([2, 2, 32, 32, 2], 0, 1, 'float32', 4) as tf.Tensor5D;
    const out = model.forward(rgb, flow, { training: false });
    expect([out.za.shape, out.zv.shape, out.logits.shape]).toEqual([[2, 64], [2, 64], [2, 4]]);
    const twice = model.encodeAudio(tf.concat([rgb, rgb], 1) as tf.Tensor5D, { training: false });
    expect(maxRelativeError(await twice.data(), await out.za.data())).toBeLessThan(1e-5);
    expect(() => model.encodeAudio(tf.zeros([2, 32, 32, 3]) as tf.Tensor4D, { training: false })).toThrow('audio_net takes rgb frames [B, T, S, S, C], got shape [2, 32, 32, 3]');
    model.dispose();
    const av = new AVModel({ numClasses: 4, fusion: 'concat', width: 0.125, modalities: AUDIO_RGB }, new Rng(1));
    expect(() => av.encodeAudio(tf.zeros([2, 1, 8, 8, 1]) as tf.Tensor5D, { training: false })).toThrow('audio_net takes a spectrogram [B, H, W, 1], got shape [2, 1, 8, 8, 1]');
    av.dispose();
  });
});

describe('parameter names, shapes and init', () => {
  it('names map one-to-one to the PyTorch state_dict of the reference package, for every fusion', () => {
    if (skipWithoutTorch()) return;
    for (const fusion of FUSIONS) {
      const expected = JSON.parse(runPython(['-m', 'bmm_lab.state_dict_spec', '--fusion', fusion, '--classes', '6', '--width', '0.25', '--audio-channels', '1', '--visual-channels', '3']));
      const ours: Record<string, number[]> = {};
      for (const spec of modelParamSpecs({ numClasses: 6, fusion, width: 0.25, modalities: AUDIO_RGB })) {
        ours[spec.name] = torchShape(spec);
        if (spec.kind === 'bn-var') ours[spec.name.replace(/running_var$/, 'num_batches_tracked')] = [];
      }
      expect(Object.keys(ours).sort()).toEqual(Object.keys(expected).sort());
      expect(ours).toEqual(expected);
    }
  });

  it('initialises conv kaiming-normal (fan_out), BN 1/0, linear xavier-normal with zero bias', async () => {
    await useBackend('wasm');
    const model = new AVModel({ numClasses: 6, fusion: 'concat', width: 0.5, modalities: AUDIO_RGB }, new Rng(2));
    const values = await model.params.read();
    const std = (a: Float32Array) => Math.sqrt(a.reduce((s, x) => s + x * x, 0) / a.length);
    // layer3.0.conv1: 3x3, 128 outputs at width 0.5 -> std sqrt(2 / (128 * 9)).
    expect(std(values.get('visual_net.layer3.0.conv1.weight')!) / Math.sqrt(2 / (128 * 9))).toBeCloseTo(1, 1);
    // fc_out: Linear(512, 6) at width 0.5 -> std sqrt(2 / (512 + 6)).
    expect(std(values.get('fusion_module.fc_out.weight')!) / Math.sqrt(2 / 518)).toBeCloseTo(1, 1);
    expect(Array.from(values.get('fusion_module.fc_out.bias')!)).toEqual(new Array(6).fill(0));
    expect(Array.from(values.get('audio_net.bn1.weight')!).every((x) => x === 1)).toBe(true);
    expect(Array.from(values.get('audio_net.bn1.running_var')!).every((x) => x === 1)).toBe(true);
    model.dispose();
  });
});

describe('forward pass against PyTorch (fixed weights, stored reference)', () => {
  it('reproduces the eval-mode logits, unimodal logits and features of a FiLM model computed by PyTorch', async () => {
    for (const backend of ['wasm', 'cpu'] as const) {
      await useBackend(backend);
      const imported = importSafetensors(readFileSync(join(TESTDATA, 'model_reference.weights.safetensors')));
      expect(imported.options).toEqual({ numClasses: 5, fusion: 'film', width: 0.0625, modalities: AUDIO_RGB });
      const model = new AVModel(imported.options, new Rng(0));
      model.params.write(imported.weights);
      const io = decodeSafetensors(readFileSync(join(TESTDATA, 'model_reference.io.safetensors'))).tensors;
      const get = (n: string) => toFloat32Array(io.get(n)!);
      const audio = tf.transpose(tf.tensor4d(get('audio'), [2, 1, 40, 30]), [0, 2, 3, 1]) as tf.Tensor4D;
      const visual = tf.transpose(tf.tensor5d(get('visual'), [2, 3, 2, 36, 36]), [0, 2, 3, 4, 1]) as tf.Tensor5D;
      const out = model.forward(audio, visual, { training: false });
      const uni = model.unimodal(out.za, out.zv);
      expect(maxRelativeError(await out.za.data(), get('z_a'))).toBeLessThan(1e-4);
      expect(maxRelativeError(await out.zv.data(), get('z_v'))).toBeLessThan(1e-4);
      expect(maxRelativeError(await out.fused.data(), get('fused'))).toBeLessThan(1e-4);
      expect(maxRelativeError(await out.logits.data(), get('logits'))).toBeLessThan(1e-4);
      expect(maxRelativeError(await uni.audio.data(), get('logits_audio'))).toBeLessThan(1e-4);
      expect(maxRelativeError(await uni.visual.data(), get('logits_visual'))).toBeLessThan(1e-4);
      model.dispose();
    }
  });

  it('round-trips the reference weights through export byte for byte (names, layouts, counters)', () => {
    const bytes = readFileSync(join(TESTDATA, 'model_reference.weights.safetensors'));
    const imported = importSafetensors(bytes);
    const specs = modelParamSpecs(imported.options);
    const again = exportSafetensors(specs, imported.weights, imported.bnBatchesTracked, {
      classNames: ['a', 'b', 'c', 'd', 'e'],
      fusion: 'film',
      method: 'erm',
      preset: 'reference',
      width: 0.0625,
      modalities: AUDIO_RGB,
      audioShape: [1, 40, 30],
      visualShape: [3, 2, 36, 36],
    });
    const a = decodeSafetensors(bytes).tensors;
    const b = decodeSafetensors(again).tensors;
    expect([...b.keys()].sort()).toEqual([...a.keys()].sort());
    for (const [name, t] of a) {
      expect(b.get(name)!.shape).toEqual(t.shape);
      expect(b.get(name)!.dtype).toEqual(t.dtype);
      expect(Array.from(b.get(name)!.data as ArrayLike<number | bigint>)).toEqual(Array.from(t.data as ArrayLike<number | bigint>));
    }
  });
});
