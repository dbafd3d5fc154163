import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeSafetensors, encodeSafetensors, toFloat32Array, type NamedTensor } from '../core/safetensors';
import { runPython, skipWithoutTorch } from '../../test/support/pythonReference';
import { maxRelativeError } from '../../test/support/testBackend';
import { parseArgs } from './args';
import { main, type Output } from './main';
import { demoClassNames } from '../data/demo';
import { writePack } from '../data/pack';
import { makeRgbFlowDataset } from '../../test/support/rgbFlowDataset';

function capture(): Output & { lines: string[]; errors: string[] } {
  const lines: string[] = [];
  const errors: string[] = [];
  return { lines, errors, out: (l) => lines.push(l), err: (l) => errors.push(l) };
}

const TINY = ['--preset', 'tiny', '--width', '0.0625', '--batch', '8', '--backend', 'wasm'];

describe('bmm-lab train', () => {
  it('--json prints exactly one JSON object per epoch line and a summary line', async () => {
    const io = capture();
    const code = await main(['train', '--dataset', 'demo', '--method', 'ogm-ge', '--epochs', '2', '--json', ...TINY], io);
    expect(code).toBe(0);
    expect(io.lines).toHaveLength(3);
    const [e1, e2, last] = io.lines.map((l) => JSON.parse(l));
    expect(Object.keys(e1)).toEqual(['epoch', 'loss', 'trainAcc', 'testAcc', 'audio', 'visual', 'rho', 'mix', 'samplesPerSec', 'seconds']);
    expect([e1.epoch, e2.epoch]).toEqual([1, 2]);
    for (const e of [e1, e2]) {
      for (const acc of [e.trainAcc, e.testAcc, e.audio.trainAcc, e.audio.testAcc, e.visual.trainAcc, e.visual.testAcc]) {
        expect(acc).toBeGreaterThanOrEqual(0);
        expect(acc).toBeLessThanOrEqual(1);
      }
      expect(e.rho).toBeGreaterThan(0);
      // OGM-GE reports the strong modality's coefficient, in (0, 1].
      expect(e.mix).toBeGreaterThan(0);
      expect(e.mix).toBeLessThanOrEqual(1);
    }
    expect(last.summary.backend).toBe('wasm');
    expect(last.summary.config.method).toBe('ogm-ge');
    expect(last.summary.classNames).toEqual(demoClassNames(6));
    expect(last.summary.bestTestAcc).toBeGreaterThanOrEqual(last.summary.finalTestAcc);
    expect(last.summary.bestRule).toBe('test');
  });

  it('a validation split: says how many clips it holds out and that best is at the best validation epoch', async () => {
    const io = capture();
    expect(await main(['train', '--method', 'erm', '--epochs', '2', '--valSplit', '0.25', ...TINY], io)).toBe(0);
    // The tiny demo: 16 training clips per class, 4 of each of the 6 classes held out.
    expect(io.lines).toContain('dataset: demo, 6 classes, 96 train (24 of them held out for validation) / 36 test clips');
    expect(io.lines.at(-1)).toMatch(/^best test accuracy +[\d.]+ % \(at the best validation epoch\), final/);
    // The demo's branches by their kinds: audio and rgb.
    expect(io.lines).toContain('modalities: audio+rgb (rho = s_audio / s_rgb; rho > 1: audio stronger)');
    expect(io.lines.find((l) => l.startsWith('epoch   1'))).toMatch(/ {2}audio +[\d.]+\/ *[\d.]+ {2}rgb +[\d.]+\/ *[\d.]+ {2}rho /);
    expect(io.lines.at(-1)).toMatch(/\(audio +[\d.]+ %, rgb +[\d.]+ %\)$/);
  });

  it('prints training and evaluation progress with an ETA, and Ctrl-C stops after the batch in hand', async () => {
    const io = capture();
    const progress: string[] = [];
    let interrupt: (() => void) | null = null;
    io.progress = {
      isTTY: false,
      write: (text) => {
        progress.push(text.trim());
        // Ctrl-C during epoch 2's training.
        if (/^epoch 2\/3 {2}batch 1\//.test(text)) interrupt?.();
      },
    };
    io.onInterrupt = (handler) => {
      interrupt = handler;
      return () => (interrupt = null);
    };
    expect(await main(['train', '--method', 'erm', '--epochs', '3', '--json', ...TINY], io)).toBe(0);
    const plain = progress.filter((l) => !l.startsWith('stopping'));
    expect(plain.some((l) => /^epoch 1\/3 {2}batch 1\/\d+/.test(l))).toBe(true);
    expect(plain.some((l) => /^epoch 1\/3 {2}evaluating \(BN statistics, train pass for rho, test pass\): (BN statistics|train pass for rho|test pass) \d+\/\d+ {2}ETA \d+ s$/.test(l))).toBe(true);
    expect(progress).toContain('stopping… (the batch or evaluation pass in hand finishes first; the epochs done are kept)');
    const epochs = io.lines.filter((l) => l.startsWith('{"epoch"'));
    expect(epochs).toHaveLength(1);
    expect(interrupt).toBeNull(); // the handler is removed when the run ends
  });

  it('mix is null for ERM and MM', async () => {
    const io = capture();
    expect(await main(['train', '--method', 'mm', '--epochs', '1', '--json', ...TINY], io)).toBe(0);
    expect(JSON.parse(io.lines[0]).mix).toBeNull();
  });

  it('bad input exits 2 with a message naming the field and the allowed values', async () => {
    const cases: [string[], RegExp][] = [
      [['train', '--method', 'sgd'], /method "sgd" is not known; allowed values: erm, mm, bmm, ogm-ge/],
      [['train', '--fusion', 'x'], /fusion "x" is not known; allowed values: concat, sum, film, gated, decision/],
      [['train', '--alpha', '0'], /alpha must be a number > 0, got 0/],
      [['train', '--alpha', '-1', '--method', 'ogm-ge'], /alpha must be a number > 0, got -1/],
      [['train', '--width', '0'], /width must be a number > 0/],
      [['train', '--epochs'], /--epochs needs a value/],
      [['train', '--lr', 'fast'], /--lr must be a number, got "fast"/],
      [['train', '--preset', 'huge'], /preset "huge" is not known; allowed values: tiny, fast, paper/],
      [['train', '--dataset', 'kinetics'], /dataset "kinetics" is not known/],
      [['train', '--frobnicate', '1'], /unknown option --frobnicate/],
      [['train', '--export', 'out.bin'], /--export expects a file name ending in .safetensors/],
      [['train', '--method', 'umt', '--teacher-audio', 'a.safetensors'], /--method umt needs --teacher-audio A.safetensors and --teacher-visual V.safetensors/],
      [['train', '--teacher-visual', 'v.safetensors'], /--teacher-audio and --teacher-visual are for --method umt, not bmm/],
      [['train', '--modalities', 'rgb+audio', '--data', '.'], /--modalities "rgb\+audio" is not known; allowed values: audio\+rgb, audio\+flow, rgb\+flow/],
    ];
    for (const [argv, message] of cases) {
      const io = capture();
      expect(await main(argv, io), argv.join(' ')).toBe(2);
      expect(io.errors.join('\n')).toMatch(message);
    }
    const io = capture();
    expect(await main(['train', '--batch', '500', ...TINY.filter((x) => x !== '8' && x !== '--batch')], io)).toBe(2);
    expect(io.errors.join('\n')).toMatch(/batch 500 is larger than the training set \(96 clips\)/);
  });

  it('--alpha sets the chosen method alpha', () => {
    const mm = parseArgs(['train', '--method', 'mm', '--alpha', '0.3']);
    const ogm = parseArgs(['train', '--method', 'ogm-ge', '--alpha', '0.3']);
    expect(mm.command === 'train' && mm.config.mm.alpha).toBe(0.3);
    expect(ogm.command === 'train' && ogm.config.ogm.alpha).toBe(0.3);
  });
});

/**
 * Writes `tensors` (PyTorch layout) as the inputs, runs `weights` on them in PyTorch (`bmm_lab.eval_cli`) and in
 * `bmm-lab eval`, and expects the three logits of both, [N, classes], within 1e-4 relative.
 */
async function expectSameLogits(dir: string, weights: string, tensors: NamedTensor[], classes: number): Promise<{ inputs: string; labOut: string }> {
  const n = tensors[0].shape[0];
  const inputs = join(dir, 'inputs.safetensors');
  writeFileSync(inputs, encodeSafetensors(tensors));
  const torchOut = join(dir, 'torch.safetensors');
  runPython(['-m', 'bmm_lab.eval_cli', '--weights', weights, '--inputs', inputs, '--out', torchOut]);
  const labOut = join(dir, 'lab.safetensors');
  const evalIo = capture();
  expect(await main(['eval', '--weights', weights, '--inputs', inputs, '--out', labOut, '--backend', 'wasm'], evalIo), evalIo.errors.join('\n')).toBe(0);
  const t = decodeSafetensors(readFileSync(torchOut)).tensors;
  const l = decodeSafetensors(readFileSync(labOut)).tensors;
  for (const name of ['logits', 'logits_audio', 'logits_visual']) {
    expect(l.get(name)!.shape).toEqual([n, classes]);
    expect(maxRelativeError(toFloat32Array(l.get(name)!), toFloat32Array(t.get(name)!)), name).toBeLessThan(1e-4);
  }
  return { inputs, labOut };
}

describe('weights leave the lab: export, PyTorch parity, eval, import', () => {
  it('exports .safetensors that PyTorch loads strictly and computes the same logits (1e-4 relative), and bmm-lab eval agrees', async () => {
    if (skipWithoutTorch()) return;
    const dir = mkdtempSync(join(tmpdir(), 'bmm-export-'));
    const weights = join(dir, 'model.safetensors');
    const io = capture();
    expect(await main(['train', '--epochs', '1', '--fusion', 'gated', '--export', weights, '--export-tfjs', join(dir, 'tfjs'), ...TINY], io)).toBe(0);
    expect(io.lines.some((l) => l.includes('wrote ' + weights))).toBe(true);
    // Random inputs in PyTorch layout: audio [N, 1, H, W], visual [N, C, T, H, W].
    const n = 3;
    const rand = (k: number, seed: number) => Float32Array.from({ length: k }, (_, i) => Math.sin(i * 0.731 + seed) * 1.5);
    await expectSameLogits(dir, weights, [
      { name: 'audio', dtype: 'F32', shape: [n, 1, 33, 24], data: rand(n * 33 * 24, 1) },
      { name: 'visual', dtype: 'F32', shape: [n, 3, 1, 32, 32], data: rand(n * 3 * 32 * 32, 2) },
    ], 6);
    // The exported file starts training again from the same weights.
    const again = capture();
    expect(await main(['train', '--epochs', '1', '--fusion', 'gated', '--weights', weights, '--json', ...TINY], again)).toBe(0);
    // A file for another fusion is refused, naming the mismatch.
    const wrong = capture();
    expect(await main(['train', '--epochs', '1', '--fusion', 'concat', '--weights', weights, ...TINY], wrong)).toBe(1);
    expect(wrong.errors.join('\n')).toMatch(/fusion = gated, but the model has concat/);
    const tfjs = JSON.parse(readFileSync(join(dir, 'tfjs', 'model.json'), 'utf8'));
    expect(tfjs.weightsManifest[0].weights.map((w: { name: string }) => w.name)).toContain('fusion_module.fc_x.weight');
  });
});

describe('RGB + flow through the command line', () => {
  it('names the branches rgb and flow in the epoch lines, the summary and the --json summary', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bmm-rgbflow-lines-'));
    const pack = join(dir, 'pack');
    mkdirSync(pack);
    for (const f of writePack(makeRgbFlowDataset({ numClasses: 3, trainPerClass: 4, testPerClass: 2, audioHeight: 8, audioWidth: 8, frameSize: 16, frames: 2, seed: 3 }), { frames: 2 })) {
      writeFileSync(join(pack, f.name), f.bytes);
    }
    const io = capture();
    expect(await main(['train', '--data', pack, '--epochs', '1', '--method', 'erm', ...TINY], io), io.errors.join('\n')).toBe(0);
    expect(io.lines).toContain('modalities: rgb+flow (rho = s_rgb / s_flow; rho > 1: rgb stronger)');
    const epoch = io.lines.find((l) => l.startsWith('epoch   1'))!;
    expect(epoch).toMatch(/ {2}rgb +[\d.]+\/ *[\d.]+ {2}flow +[\d.]+\/ *[\d.]+ {2}rho /);
    expect(epoch).not.toMatch(/audio|visual/);
    expect(io.lines.at(-1)).toMatch(/^best test accuracy .*\(rgb +[\d.]+ %, flow +[\d.]+ %\)$/);
    const json = capture();
    expect(await main(['train', '--data', pack, '--epochs', '1', '--method', 'erm', '--json', ...TINY], json), json.errors.join('\n')).toBe(0);
    expect(JSON.parse(json.lines.at(-1)!).summary.modalities).toEqual(['rgb', 'flow']);
  });

  it('trains on an RGB + flow pack, exports weights PyTorch rebuilds from their metadata, and both compute the same logits', async () => {
    if (skipWithoutTorch()) return;
    const dir = mkdtempSync(join(tmpdir(), 'bmm-rgbflow-'));
    const pack = join(dir, 'pack');
    mkdirSync(pack);
    const S = 24;
    for (const f of writePack(makeRgbFlowDataset({ numClasses: 3, trainPerClass: 4, testPerClass: 2, audioHeight: 8, audioWidth: 8, frameSize: S, frames: 3, seed: 2 }), { frames: 2 })) {
      writeFileSync(join(pack, f.name), f.bytes);
    }
    const weights = join(dir, 'model.safetensors');
    const io = capture();
    expect(await main(['train', '--data', pack, '--epochs', '1', '--json', '--export', weights, ...TINY], io), io.errors.join('\n')).toBe(0);
    const summary = JSON.parse(io.lines.at(-1)!).summary;
    expect([summary.config.visualSize, summary.config.frames]).toEqual([S, 2]);
    expect(decodeSafetensors(readFileSync(weights)).metadata.modalities).toBe('["rgb","flow"]');
    // Both branches take frames in PyTorch layout [N, C, T, H, W]: RGB 3 channels, flow 2.
    const n = 2;
    const rand = (k: number, seed: number) => Float32Array.from({ length: k }, (_, i) => Math.sin(i * 0.517 + seed) * 1.2);
    const { inputs, labOut } = await expectSameLogits(dir, weights, [
      { name: 'audio', dtype: 'F32', shape: [n, 3, 2, S, S], data: rand(n * 3 * 2 * S * S, 1) },
      { name: 'visual', dtype: 'F32', shape: [n, 2, 2, S, S], data: rand(n * 2 * 2 * S * S, 2) },
    ], 3);
    // A spectrogram-shaped first input is refused, naming the kind.
    writeFileSync(inputs, encodeSafetensors([
      { name: 'audio', dtype: 'F32', shape: [n, 1, 8, 8], data: rand(n * 64, 1) },
      { name: 'visual', dtype: 'F32', shape: [n, 2, 2, S, S], data: rand(n * 2 * 2 * S * S, 2) },
    ]));
    const bad = capture();
    expect(await main(['eval', '--weights', weights, '--inputs', inputs, '--out', labOut, '--backend', 'wasm'], bad)).toBe(1);
    expect(bad.errors.join('\n')).toContain('input "audio" (rgb) must be [N, C, T, H, W], got [2, 1, 8, 8]');
  });
});

describe('bmm-lab train --data and --trace', () => {
  const SMALL = ['--preset', 'tiny', '--width', '0.0625', '--audioHeight', '16', '--audioWidth', '16', '--visualSize', '16', '--backend', 'wasm'];

  async function makePack(): Promise<string> {
    const dir = mkdtempSync(join(tmpdir(), 'bmm-pack-'));
    const io = capture();
    expect(await main(['pack', '--out', join(dir, 'pack'), ...SMALL], io)).toBe(0);
    expect(io.lines[0]).toMatch(/1 shard\(s\), 96 train \/ 36 test clips, 6 classes/);
    return join(dir, 'pack');
  }

  function readTrace(path: string) {
    return readFileSync(path, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  }

  it('writes one JSON object per step with the fields each method uses, training on a pack', async () => {
    const pack = await makePack();
    const dir = mkdtempSync(join(tmpdir(), 'bmm-trace-'));
    const run = async (method: string, extra: string[] = []) => {
      const path = join(dir, `${method}.jsonl`);
      const io = capture();
      const args = ['train', '--data', pack, '--method', method, '--batch', '32', '--augment', 'off', '--trace', path, '--json', '--preset', 'tiny', '--width', '0.0625', '--backend', 'wasm', ...extra];
      expect(await main(args, io), io.errors.join('\n')).toBe(0);
      return readTrace(path);
    };
    const erm = await run('erm', ['--epochs', '1']);
    // 96 training clips in batches of 32.
    expect(erm.map((s) => [s.epoch, s.step])).toEqual([
      [1, 0],
      [1, 1],
      [1, 2],
    ]);
    expect(Object.keys(erm[0])).toEqual(['epoch', 'step', 'indices', 'loss', 'perm', 'lambda', 'm', 'weak', 'coef', 'blend', 'greedy']);
    expect(erm.flatMap((s) => s.indices).sort((a: number, b: number) => a - b)).toEqual(Array.from({ length: 96 }, (_, i) => i));
    expect(erm.every((s) => s.perm === null && s.lambda === null && s.m === null && s.weak === null && s.coef === null && s.loss > 0)).toBe(true);

    const mm = await run('mm', ['--epochs', '1']);
    for (const s of mm) {
      expect([...s.perm].sort((a: number, b: number) => a - b)).toEqual(Array.from({ length: 32 }, (_, i) => i));
      expect(s.lambda).toBeGreaterThan(0);
      expect(s.lambda).toBeLessThan(1);
      expect(s.m).toBeNull();
    }

    const bmm = await run('bmm', ['--epochs', '2', '--warmup', '1']);
    expect(bmm.filter((s) => s.epoch === 1).every((s) => s.m === null && s.weak === null && s.perm === null)).toBe(true);
    const mixed = bmm.filter((s) => s.epoch === 2);
    expect(mixed).toHaveLength(3);
    // One plan per epoch: the same weak modality and m on every batch, m = tanh(beta (r - 1)) in (0, 1).
    expect(new Set(mixed.map((s) => s.weak)).size).toBe(1);
    expect(['audio', 'visual']).toContain(mixed[0].weak);
    expect(new Set(mixed.map((s) => s.m)).size).toBe(1);
    expect(mixed[0].m).toBeGreaterThan(0);
    expect(mixed[0].m).toBeLessThan(1);
    expect(mixed[0].perm).toHaveLength(32);

    const ogm = await run('ogm-ge', ['--epochs', '1', '--ogm.mode', 'ogm']);
    for (const s of ogm) {
      // Exactly one of the two coefficients is 1 (the weak modality's), the other in (0, 1].
      expect(Math.max(s.coef.audio, s.coef.visual)).toBe(1);
      expect(Math.min(s.coef.audio, s.coef.visual)).toBeGreaterThan(0);
    }
    expect(erm.every((s) => s.greedy === null)).toBe(true);

    // Greedy with epsilon 0 from the first epoch: d after step 0 starts a one-step window, step 1 holds, step 2 measures again.
    const greedy = await run('greedy', ['--epochs', '1', '--greedy.epsilon', '0', '--greedy.window', '1', '--greedy.start', '0']);
    expect(greedy.map((s) => [s.greedy.hold === null, typeof s.greedy.dBDR])).toEqual([
      [true, 'number'],
      [false, 'object'],
      [true, 'number'],
    ]);
    expect(greedy[1].greedy.hold).toBe(greedy[0].greedy.dBDR > 0 ? 'audio' : 'visual');
    expect(greedy[1].greedy.dBDR).toBeNull();
  });

  it('takes the input sizes from the pack and refuses a flag that disagrees', async () => {
    const pack = await makePack();
    const io = capture();
    expect(await main(['train', '--data', pack, '--epochs', '1', '--batch', '48', '--preset', 'tiny', '--width', '0.0625', '--backend', 'wasm', '--json'], io)).toBe(0);
    expect(io.errors.join('\n')).toMatch(/the model takes the pack's \(audioHeight 33 -> 16, audioWidth 24 -> 16, visualSize 32 -> 16\)/);
    expect(JSON.parse(io.lines.at(-1)!).summary.config.visualSize).toBe(16);
    const bad = capture();
    expect(await main(['train', '--data', pack, '--visualSize', '32', '--preset', 'tiny'], bad)).toBe(2);
    expect(bad.errors.join('\n')).toMatch(/--visualSize 32 disagrees with the pack in .* \(visualSize 16\)/);
  });

  it('refuses a missing pack, a broken pack and bad output paths before training', async () => {
    const emptyDir = mkdtempSync(join(tmpdir(), 'bmm-empty-'));
    const brokenPack = mkdtempSync(join(tmpdir(), 'bmm-broken-pack-'));
    writeFileSync(join(brokenPack, 'pack.json'), '{"format": ');
    const cases: [string[], RegExp][] = [
      [['train', '--data', '/no/such/pack'], /--data \/no\/such\/pack: no such folder/],
      [['train', '--data', emptyDir], /--data .*: no pack.json, and no dataset layout recognised among 0 files/],
      [['train', '--data', brokenPack], /pack.json: not JSON/],
      [['train', '--export', '/no/such/dir/model.safetensors'], /--export \/no\/such\/dir\/model.safetensors: the folder \/no\/such\/dir does not exist/],
      [['train', '--trace', '/no/such/dir/t.jsonl'], /--trace \/no\/such\/dir\/t.jsonl: the folder \/no\/such\/dir does not exist/],
      [['train', '--weights', '/missing.safetensors'], /--weights \/missing.safetensors: no such file/],
      [['train', '--dataset', 'demo', '--data', 'x'], /either --dataset demo or --data DIR, not both/],
      [['train', '--augment', 'maybe'], /--augment must be on or off, got "maybe"/],
    ];
    for (const [argv, message] of cases) {
      const io = capture();
      expect(await main(argv, io), argv.join(' ')).toBe(2);
      expect(io.errors.join('\n')).toMatch(message);
    }
  });
});
