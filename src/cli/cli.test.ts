import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeSafetensors, encodeSafetensors, toFloat32Array } from '../core/safetensors';
import { runPython, skipWithoutTorch } from '../../test/support/pythonReference';
import { maxRelativeError } from '../../test/support/testBackend';
import { parseArgs } from './args';
import { main, type Output } from './main';

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
    expect(last.summary.bestTestAcc).toBeGreaterThanOrEqual(last.summary.finalTestAcc);
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
    const inputs = join(dir, 'inputs.safetensors');
    writeFileSync(
      inputs,
      encodeSafetensors([
        { name: 'audio', dtype: 'F32', shape: [n, 1, 33, 24], data: rand(n * 33 * 24, 1) },
        { name: 'visual', dtype: 'F32', shape: [n, 3, 1, 32, 32], data: rand(n * 3 * 32 * 32, 2) },
      ]),
    );
    const torchOut = join(dir, 'torch.safetensors');
    runPython(['-m', 'bmm_lab.eval_cli', '--weights', weights, '--inputs', inputs, '--out', torchOut]);
    const labOut = join(dir, 'lab.safetensors');
    const evalIo = capture();
    expect(await main(['eval', '--weights', weights, '--inputs', inputs, '--out', labOut, '--backend', 'wasm'], evalIo)).toBe(0);
    const t = decodeSafetensors(readFileSync(torchOut)).tensors;
    const l = decodeSafetensors(readFileSync(labOut)).tensors;
    for (const name of ['logits', 'logits_audio', 'logits_visual']) {
      expect(l.get(name)!.shape).toEqual([n, 6]);
      expect(maxRelativeError(toFloat32Array(l.get(name)!), toFloat32Array(t.get(name)!)), name).toBeLessThan(1e-4);
    }
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
