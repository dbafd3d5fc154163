/** Greedy and its MMTM blocks against hand-computed values on small fixed tensors. */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { useBackend } from '../../../test/support/testBackend';
import { smallBatch } from '../../../test/support/smallBatch';
import { ConfigError, makeConfig, validateConfig } from '../config';
import { mmtmBlock, mmtmParamSpecs, type GateSet } from '../mmtm';
import { exportSafetensors, importSafetensors } from '../export';
import { AVModel, modelParamSpecs } from '../model';
import { decodeSafetensors } from '../safetensors';
import { AUDIO_RGB } from '../modalities';
import { Adam } from '../optimizer';
import { ParamStore } from '../params';
import { Rng } from '../random';
import { trainStep, variableNameMap } from '../trainStep';
import { createMethod } from './index';
import { dBdr, initialSchedule, scheduleAfterStep, speedGroups, speedRatios, updateGateMeans, type GreedySchedule, type Speeds } from './greedy';

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));
const values = <T = number>(n: number, f: (i: number) => T): T[] => Array.from({ length: n }, (_, i) => f(i));

/** y = x W + b for the lab's [in, out] weights. */
function dense(x: number[], w: number[][], b: number[]): number[] {
  return b.map((bj, j) => bj + x.reduce((s, xi, i) => s + xi * w[i][j], 0));
}

describe('MMTM block', () => {
  it('squeezes each clip, gates both maps with sigmoid(fc(relu(fc_squeeze))), and holds one modality at its mean', async () => {
    await useBackend('cpu');
    const width = 0.0625; // layer2: 8 channels
    const params = new ParamStore(mmtmParamSpecs(width), new Rng(3));
    for (const name of ['fc_squeeze', 'fc_audio', 'fc_visual']) {
      const b = params.get(`mmtm2.${name}.bias`);
      b.assign(tf.tensor1d(values(b.shape[0], (i) => 0.1 * Math.sin(i + name.length))));
    }
    const C = 8;
    const B = 2;
    const T = 3;
    const a = values(B * 2 * 2 * C, (i) => Math.sin(0.7 * i));
    const v = values(B * T * 2 * 2 * C, (i) => Math.cos(0.3 * i));
    const audio = tf.tensor4d(a, [B, 2, 2, C]);
    const visual = tf.tensor4d(v, [B * T, 2, 2, C]);
    const w = (n: string) => params.get(`mmtm2.${n}.weight`).arraySync() as number[][];
    const bias = (n: string) => params.get(`mmtm2.${n}.bias`).arraySync() as number[];
    // Hand computation: per clip, the mean of its 4 (audio) or 3 x 4 (visual) positions of each channel.
    const gates = values(B, (n) => {
      const sa = values(C, (c) => values(4, (p) => a[(n * 4 + p) * C + c]).reduce((x, y) => x + y) / 4);
      const sv = values(C, (c) => values(T * 4, (p) => v[(n * T * 4 + p) * C + c]).reduce((x, y) => x + y) / (T * 4));
      const e = dense([...sa, ...sv], w('fc_squeeze'), bias('fc_squeeze')).map((x) => Math.max(0, x));
      return { ga: dense(e, w('fc_audio'), bias('fc_audio')).map(sigmoid), gv: dense(e, w('fc_visual'), bias('fc_visual')).map(sigmoid) };
    });
    const record: GateSet = { audio: [], visual: [] };
    const out = mmtmBlock(params, 2, { map: audio, frames: 1 }, { map: visual, frames: T }, { hold: null, means: null, record });
    const ga = await out.audio.data();
    const gv = await out.visual.data();
    for (let i = 0; i < a.length; i++) expect(ga[i]).toBeCloseTo(a[i] * gates[Math.floor(i / (4 * C))].ga[i % C], 5);
    // Each of a clip's T frames gets its clip's gate row.
    for (let i = 0; i < v.length; i++) expect(gv[i]).toBeCloseTo(v[i] * gates[Math.floor(i / (T * 4 * C))].gv[i % C], 5);
    const mean = (m: 'ga' | 'gv') => values(C, (c) => (gates[0][m][c] + gates[1][m][c]) / 2);
    Array.from(await record.audio[0].data()).forEach((x, c) => expect(x).toBeCloseTo(mean('ga')[c], 5));
    Array.from(await record.visual[0].data()).forEach((x, c) => expect(x).toBeCloseTo(mean('gv')[c], 5));
    // Held visual gates: every clip's frames times the given mean; audio as before.
    const held = values(C, (c) => 0.1 * (c + 1));
    const means: GateSet = { audio: [tf.zeros([C]), tf.zeros([C]), tf.zeros([C])], visual: [tf.tensor1d(held), tf.zeros([C]), tf.zeros([C])] };
    const h = mmtmBlock(params, 2, { map: audio, frames: 1 }, { map: visual, frames: T }, { hold: 'visual', means });
    const hv = await h.visual.data();
    for (let i = 0; i < v.length; i++) expect(hv[i]).toBeCloseTo(v[i] * held[i % C], 5);
    expect(Array.from(await h.audio.data())).toEqual(Array.from(ga));
  });

  it('is part of the greedy model only: names after the fusion head, encoders cannot run alone', () => {
    const base = { numClasses: 3, fusion: 'concat' as const, width: 0.0625, modalities: AUDIO_RGB };
    const names = modelParamSpecs({ ...base, mmtm: true }).map((s) => s.name);
    expect(names.slice(-6)).toEqual(['mmtm4.fc_squeeze.weight', 'mmtm4.fc_squeeze.bias', 'mmtm4.fc_audio.weight', 'mmtm4.fc_audio.bias', 'mmtm4.fc_visual.weight', 'mmtm4.fc_visual.bias']);
    expect(names.indexOf('mmtm2.fc_squeeze.weight')).toBe(names.indexOf('fusion_module.fc_out.bias') + 1);
    // layer4 at width 1/16: 32 channels; fc_squeeze 64 -> 32.
    expect(modelParamSpecs({ ...base, mmtm: true }).find((s) => s.name === 'mmtm4.fc_squeeze.weight')!.shape).toEqual([64, 32]);
    expect(modelParamSpecs(base).some((s) => s.name.startsWith('mmtm'))).toBe(false);
    const model = new AVModel({ ...base, mmtm: true }, new Rng(0));
    expect(() => model.encodeAudio(tf.zeros([1, 8, 8, 1]) as tf.Tensor4D, { training: false })).toThrow(/MMTM blocks couple the two encoders/);
    model.dispose();
  });

  it('exports under PyTorch names ([out, in] weights) and imports as a greedy model', () => {
    const options = { numClasses: 3, fusion: 'sum' as const, width: 0.0625, modalities: AUDIO_RGB, mmtm: true };
    const specs = modelParamSpecs(options);
    const weights = new Map(specs.map((s, i) => [s.name, Float32Array.from({ length: s.shape.reduce((a, b) => a * b, 1) }, (_, j) => Math.sin(i + j))]));
    const meta = { classNames: ['x', 'y', 'z'], fusion: 'sum' as const, method: 'greedy', preset: 'tiny', width: 0.0625, modalities: AUDIO_RGB, audioShape: [1, 33, 24], visualShape: [3, 1, 32, 32] as [number, number, number, number] };
    const bytes = exportSafetensors(specs, weights, new Map(), meta);
    const file = decodeSafetensors(bytes);
    // fc_squeeze of mmtm2: 16 -> 8 at width 1/16, stored [out, in].
    expect(file.tensors.get('mmtm2.fc_squeeze.weight')!.shape).toEqual([8, 16]);
    const back = importSafetensors(bytes);
    expect(back.options.mmtm).toBe(true);
    expect(Array.from(back.weights.get('mmtm3.fc_visual.weight')!)).toEqual(Array.from(weights.get('mmtm3.fc_visual.weight')!));
  });
});

describe('Greedy', () => {
  it('sorts parameters into main and bypass groups (fc_squeeze in both bypasses, the head in none)', () => {
    expect(speedGroups('audio_net.layer1.0.conv1.weight')).toEqual(['mainAudio']);
    expect(speedGroups('visual_net.bn1.bias')).toEqual(['mainVisual']);
    expect(speedGroups('mmtm3.fc_squeeze.weight')).toEqual(['bypassAudio', 'bypassVisual']);
    expect(speedGroups('mmtm2.fc_audio.bias')).toEqual(['bypassAudio']);
    expect(speedGroups('mmtm4.fc_visual.weight')).toEqual(['bypassVisual']);
    expect(speedGroups('fusion_module.fc_out.weight')).toEqual([]);
  });

  it('learning speeds are sum |g|^2 / sum |p|^2 per group, over the trainable parameters', async () => {
    await useBackend('cpu');
    const model = new AVModel({ numClasses: 3, fusion: 'concat', width: 0.0625, modalities: AUDIO_RGB, mmtm: true }, new Rng(1));
    const grads = new Map<string, tf.Tensor>();
    const want = { g: { mainAudio: 0, mainVisual: 0, bypassAudio: 0, bypassVisual: 0 }, w: { mainAudio: 0, mainVisual: 0, bypassAudio: 0, bypassVisual: 0 } };
    let k = 0;
    for (const spec of model.params.specs) {
      const p = model.params.get(spec.name);
      const pw = (await p.data()) as Float32Array;
      if (!p.trainable) continue;
      const groups = speedGroups(spec.name);
      // A gradient for every other parameter: the missing ones add 0.
      const g = k++ % 2 === 0 ? values(pw.length, (i) => Math.sin(i + k) * 0.01) : null;
      if (g) grads.set(spec.name, tf.tensor(g, p.shape));
      for (const group of groups) {
        want.w[group] += pw.reduce((s, x) => s + x * x, 0);
        if (g) want.g[group] += g.reduce((s, x) => s + x * x, 0);
      }
    }
    const got = speedRatios(model.params, grads);
    for (const group of ['mainAudio', 'mainVisual', 'bypassAudio', 'bypassVisual'] as const) {
      const ratio = (await got[group].data())[0];
      expect(ratio / (want.g[group] / want.w[group])).toBeCloseTo(1, 4);
    }
    model.dispose();
  });

  it('d_BDR = log10(Mb_a / Mm_a) - log10(Mb_v / Mm_v), 0 while a sum is 0', () => {
    expect(dBdr({ mainAudio: 1, mainVisual: 2, bypassAudio: 10, bypassVisual: 2 })).toBeCloseTo(1, 12);
    expect(dBdr({ mainAudio: 1, mainVisual: 0, bypassAudio: 10, bypassVisual: 2 })).toBe(0);
    expect(dBdr({ mainAudio: 1, mainVisual: 1, bypassAudio: Infinity, bypassVisual: 2 })).toBe(0);
  });

  it('re-balances for `window` steps after |d| > epsilon, from the start epoch on, summing the speeds outside windows only', () => {
    const o = { epsilon: 0.5, window: 2, start: 1 };
    // Speeds whose running sums give d = log10(bypassAudio sum / mainAudio sum) (visual ratio 1).
    const speed = (ba: number): Speeds => ({ mainAudio: 1, mainVisual: 1, bypassAudio: ba, bypassVisual: 1 });
    let s: GreedySchedule = initialSchedule();
    const seen: [string | null, number | null][] = [];
    const step = (epoch: number, ba: number) => {
      const r = scheduleAfterStep(s, epoch, speed(ba), o);
      s = r.next;
      seen.push([s.hold, r.dBDR === null ? null : Number(r.dBDR.toFixed(6))]);
    };
    step(0, 100); // locked: d = 2, nothing held
    step(1, 100); // sums 200/2: d = 2 > 0.5: hold audio
    step(1, 1e6); // window step 1: not summed
    step(1, 1e6); // window step 2 = window: released
    step(1, 0.01); // sums 200.01/3: d = log10(66.67)
    step(1, 1e-9); // window step 1 (audio, as d > 0)
    step(1, 1e-9);
    step(1, 0); // sums 200.01 / 4, visual 4 / 4: d = log10(50.0025)
    expect(seen).toEqual([
      [null, 2],
      ['audio', 2],
      ['audio', null],
      [null, null],
      ['audio', Number(Math.log10(200.01 / 3).toFixed(6))],
      ['audio', null],
      [null, null],
      ['audio', Number(Math.log10(200.01 / 4).toFixed(6))],
    ]);
    // A negative d holds the visual gates; |d| <= epsilon holds nothing.
    expect(scheduleAfterStep(initialSchedule(), 1, { mainAudio: 1, mainVisual: 1, bypassAudio: 1, bypassVisual: 100 }, o).next.hold).toBe('visual');
    expect(scheduleAfterStep(initialSchedule(), 1, speed(3), o).next.hold).toBe(null);
  });

  it('running gate means are the plain mean of every step’s batch means', async () => {
    await useBackend('cpu');
    const steps = [
      [1, 2],
      [3, 6],
      [8, 1],
    ];
    let means: GateSet | null = null;
    steps.forEach((g, n) => {
      means = updateGateMeans(means, { audio: [tf.tensor1d(g)], visual: [tf.tensor1d([g[1], g[0]])] }, n);
    });
    expect(Array.from(await means!.audio[0].data())).toEqual([4, 3]);
    expect(Array.from(await means!.visual[0].data())).toEqual([3, 4]);
  });

  it('a step holding the audio gates gives fc_audio no gradient (Adam leaves it) and traces hold and d', async () => {
    await useBackend('cpu');
    const config = makeConfig({ preset: 'tiny', width: 0.0625, method: 'greedy', greedy: { epsilon: 0, window: 3, start: 0 } });
    const rng = new Rng(4);
    const model = new AVModel({ numClasses: 3, fusion: config.fusion, width: 0.0625, modalities: AUDIO_RGB, mmtm: true }, rng.fork());
    const params = new Map([...model.params.vars].filter(([, v]) => v.trainable));
    const optimizer = new Adam(params, { lr: 1e-2, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 1e-4 });
    const method = createMethod(config);
    method.beginEpoch({ epoch: 0, rho: null });
    const names = variableNameMap(model);
    const first = await trainStep(model, optimizer, method, smallBatch(), rng, names);
    const trace0 = method.stepGreedy!()!;
    expect(trace0.hold).toBe(null);
    expect(trace0.dBDR).toBeCloseTo(dBdr({ mainAudio: first.aux.mainAudio, mainVisual: first.aux.mainVisual, bypassAudio: first.aux.bypassAudio, bypassVisual: first.aux.bypassVisual }), 6);
    const held = trace0.dBDR! > 0 ? 'audio' : 'visual';
    const other = held === 'audio' ? 'visual' : 'audio';
    const before = (m: string) => model.params.get(`mmtm3.fc_${m}.weight`).dataSync().slice();
    const heldBefore = before(held);
    const otherBefore = before(other);
    await trainStep(model, optimizer, method, smallBatch(), rng, names);
    expect(method.stepGreedy!()).toEqual({ hold: held, dBDR: null });
    expect(Array.from(model.params.get(`mmtm3.fc_${held}.weight`).dataSync())).toEqual(Array.from(heldBefore));
    expect(Array.from(model.params.get(`mmtm3.fc_${other}.weight`).dataSync())).not.toEqual(Array.from(otherBefore));
    // The state round-trips through a checkpoint.
    const state = (await method.saveState!())!;
    const again = createMethod(config);
    again.loadState!(state);
    expect(await again.saveState!()).toEqual(state);
    model.dispose();
  });

  it('refuses micro-batches', () => {
    expect(() => validateConfig(makeConfig({ method: 'greedy', batch: 16, microBatch: 8 }))).toThrow(ConfigError);
    expect(() => validateConfig(makeConfig({ method: 'greedy', batch: 16, microBatch: 8 }))).toThrow(/method greedy does not support micro-batches/);
    expect(() => validateConfig(makeConfig({ method: 'greedy', batch: 16, microBatch: 0 }))).not.toThrow();
  });
});
