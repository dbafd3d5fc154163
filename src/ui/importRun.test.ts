import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runPython, skipWithoutTorch } from '../../test/support/pythonReference';
import { makeConfig } from '../core/config';
import { AUDIO_FLOW, AUDIO_RGB, RGB_FLOW } from '../core/modalities';
import { decodeSafetensors, encodeSafetensors } from '../core/safetensors';
import { runConfigDocument } from '../core/settingsDocument';
import { makeDemoDataset } from '../data/demo';
import { writePack } from '../data/pack';
import { importRunFolder, type FolderFile } from './importRun';

const enc = new TextEncoder();
function file(path: string, content: string | Uint8Array): FolderFile {
  const bytes = typeof content === 'string' ? enc.encode(content) : content;
  return { path, text: async () => new TextDecoder().decode(bytes), bytes: async () => bytes };
}

const config = makeConfig({ method: 'bmm', seed: 2, epochs: 2 });
const line = (epoch: number, extra: Record<string, unknown> = {}) =>
  JSON.stringify({
    epoch,
    loss: 1 / epoch,
    trainAcc: 0.5 + epoch / 10,
    testAcc: 0.4 + epoch / 10,
    audio: { trainAcc: 0.6, testAcc: 0.5 },
    visual: { trainAcc: 0.3, testAcc: 0.2 },
    rho: 2.5,
    mix: epoch === 1 ? null : 0.7,
    samplesPerSec: 100,
    seconds: 3,
    ...extra,
  });
const summary = JSON.stringify({ summary: { config, backend: 'pytorch-cpu', dataset: 'demo', classNames: ['a', 'b'], epochs: 2 } });

describe('importRunFolder', () => {
  it('reads the epochs, config and weights of a trainer folder', async () => {
    const weights = Uint8Array.from([1, 2, 3]);
    const { run, weights: w } = await importRunFolder(
      [
        file('out/metrics.jsonl', `${line(1)}\n${line(2)}\n${summary}\n`),
        file('out/config.json', runConfigDocument(config)),
        file('out/model.safetensors', weights),
        file('out/checkpoint.pt', 'ignored'),
      ],
      { id: 'r1', now: 5 },
    );
    expect(run.config).toEqual(config);
    expect(run.source).toBe('pytorch');
    expect(run.status).toBe('done');
    expect(run.importedFrom).toBe('out');
    expect(run.datasetName).toBe('demo');
    expect(run.classNames).toEqual(['a', 'b']);
    expect(run.epochs.map((e) => [e.epoch, e.testAcc, e.mix, e.lr])).toEqual([
      [1, 0.5, null, config.lr],
      [2, 0.6000000000000001, 0.7, config.lr],
    ]);
    expect(run.epochs[0].audio).toEqual({ trainAcc: 0.6, testAcc: 0.5 });
    expect(run.epochs[0].confusion.fused).toEqual([]);
    expect(Array.from(w!)).toEqual([1, 2, 3]);
    // Neither the summary nor (unreadable) weights name the pair: a run from before branch kinds, audio + RGB.
    expect(run.modalities).toBe(AUDIO_RGB);
  });

  it('takes the pair from the summary, else from the weights\' metadata; refuses a pair the lab does not train', async () => {
    const opts = { id: 'r', now: 1 };
    const withPair = (modalities: unknown) => JSON.stringify({ summary: { config, dataset: 'ucf', classNames: ['a', 'b'], epochs: 2, modalities } });
    const fromSummary = await importRunFolder([file('m/metrics.jsonl', `${line(1)}\n${line(2)}\n${withPair(['rgb', 'flow'])}`)], opts);
    expect(fromSummary.run.modalities).toBe(RGB_FLOW);
    const weights = encodeSafetensors([{ name: 'x', dtype: 'F32', shape: [1], data: Float32Array.of(1) }], { modalities: '["spectrogram","flow"]', audio_shape: '[1,64,64]', visual_shape: '[2,1,112,112]' });
    const fromWeights = await importRunFolder([file('m/metrics.jsonl', `${line(1)}\n${summary}`), file('m/model.safetensors', weights)], opts);
    expect(fromWeights.run.modalities).toBe(AUDIO_FLOW);
    await expect(importRunFolder([file('m/metrics.jsonl', `${line(1)}\n${withPair(['flow', 'rgb'])}`)], opts)).rejects.toThrow(
      /m\/metrics\.jsonl summary: "modalities" must be one of \["spectrogram","rgb"\], .*got \["flow","rgb"\]/,
    );
  });

  it('takes the config from the summary line when there is no config file, and marks an unfinished run stopped', async () => {
    const { run, weights } = await importRunFolder([file('metrics.jsonl', `${line(1)}\n${summary}`)], { id: 'r', now: 1 });
    expect(run.config).toEqual(config);
    expect(run.status).toBe('stopped');
    expect(weights).toBeNull();
  });

  it('keeps confusion matrices when the lines carry them, and checks their size', async () => {
    const confusion = { fused: [[3, 1], [0, 4]], audio: [[2, 2], [1, 3]], visual: [[4, 0], [4, 0]] };
    const { run } = await importRunFolder([file('metrics.jsonl', `${line(1, { confusion })}\n${summary}`)], { id: 'r', now: 1 });
    expect(run.epochs[0].confusion).toEqual(confusion);
    await expect(importRunFolder([file('metrics.jsonl', `${line(1, { confusion: { ...confusion, audio: [[1]] } })}\n${summary}`)], { id: 'r', now: 1 })).rejects.toThrow(
      /line 1 confusion\.audio: a confusion matrix must be 2 x 2 numbers/,
    );
  });

  it('refuses folders it cannot read, naming the file, the line and the field', async () => {
    const opts = { id: 'r', now: 1 };
    await expect(importRunFolder([file('out/config.json', runConfigDocument(config))], opts)).rejects.toThrow(/no metrics\.jsonl/);
    await expect(importRunFolder([file('out/metrics.jsonl', line(1))], opts)).rejects.toThrow(/no config\.json or run\.json/);
    await expect(importRunFolder([file('out/metrics.jsonl', `${line(1)}\n{oops\n`), file('out/config.json', runConfigDocument(config))], opts)).rejects.toThrow(
      /out\/metrics\.jsonl line 2: not JSON/,
    );
    await expect(importRunFolder([file('m/metrics.jsonl', line(1, { testAcc: 'high' })), file('m/run.json', runConfigDocument(config))], opts)).rejects.toThrow(
      /m\/metrics\.jsonl line 1: "testAcc" must be a number, got "high"/,
    );
    await expect(importRunFolder([file('m/metrics.jsonl', summary), file('m/run.json', runConfigDocument(config))], opts)).rejects.toThrow(/no epoch lines/);
    const newer = JSON.stringify({ format: 'bmm-lab-run', version: 2, config });
    await expect(importRunFolder([file('m/metrics.jsonl', line(1)), file('m/config.json', newer)], opts)).rejects.toThrow(/m\/config\.json: version 2 is not supported/);
    await expect(importRunFolder([file('m/metrics.jsonl', `${line(1)}\n${line(1)}`), file('m/config.json', runConfigDocument(config))], opts)).rejects.toThrow(
      /epoch 1 appears twice/,
    );
  });

  it('reads the folder the PyTorch trainer writes', async () => {
    if (skipWithoutTorch()) return;
    const dir = mkdtempSync(join(tmpdir(), 'bmm-import-'));
    const pack = join(dir, 'pack');
    mkdirSync(pack);
    const dataset = makeDemoDataset({ numClasses: 3, trainPerClass: 4, testPerClass: 2, audioHeight: 16, audioWidth: 16, frameSize: 16, frames: 1, seed: 1 });
    for (const f of writePack(dataset, { frames: 1 })) writeFileSync(join(pack, f.name), f.bytes);
    const run = makeConfig({ preset: 'tiny', width: 0.0625, batch: 4, epochs: 2, audioHeight: 16, audioWidth: 16, visualSize: 16, frames: 1, method: 'erm', augment: false });
    writeFileSync(join(dir, 'run.json'), runConfigDocument(run));
    const out = join(dir, 'out');
    runPython(['-m', 'bmm_lab.train', '--config', join(dir, 'run.json'), '--data', pack, '--out', out, '--workers', '0', '--device', 'cpu']);
    const files = readdirSync(out).map((name) => {
      const bytes = new Uint8Array(readFileSync(join(out, name)));
      return file(`out/${name}`, bytes);
    });
    const { run: imported, weights } = await importRunFolder(files, { id: 'p', now: 1 });
    expect(imported.source).toBe('pytorch');
    expect(imported.status).toBe('done');
    expect(imported.config).toEqual(run);
    expect(imported.epochs.map((e) => e.epoch)).toEqual([1, 2]);
    for (const e of imported.epochs) {
      expect(e.testAcc).toBeGreaterThanOrEqual(0);
      expect(e.testAcc).toBeLessThanOrEqual(1);
      expect(Number.isFinite(e.loss)).toBe(true);
    }
    expect(imported.classNames).toEqual(dataset.classNames);
    expect(decodeSafetensors(weights!).tensors.has('audio_net.conv1.weight')).toBe(true);
    // The trainer's weights name their branches: the demo pack's audio + RGB.
    expect(imported.modalities).toBe(AUDIO_RGB);
  });
});
