import { describe, expect, it } from 'vitest';
import { makeConfig } from '../core/config';
import { AUDIO_FLOW, AUDIO_RGB, RGB_FLOW } from '../core/modalities';
import { encodeSafetensors } from '../core/safetensors';
import { importedConfig, importedModalities, importedRunRecord, importMismatches, importNotice, weightsFacts } from './importedWeights';
import { runName } from './run';

const evaluation = {
  fused: { trainAcc: 0.9, testAcc: 0.625 },
  audio: { trainAcc: 0.8, testAcc: 0.5 },
  visual: { trainAcc: 0.4, testAcc: 0.25 },
  rho: 1.75,
  confusion: { fused: [[1]], audio: [[1]], visual: [[1]] },
};

describe('imported weights', () => {
  const file = encodeSafetensors([{ name: 'x', dtype: 'F32', shape: [1], data: Float32Array.of(1) }], {
    method: 'bmm',
    fusion: 'film',
    preset: 'paper',
    width: '1',
    audio_shape: '[1,257,188]',
    visual_shape: '[3,1,224,224]',
    class_names: '["a","b"]',
  });

  it('reads what the file was trained at from its header', () => {
    // Written before branch kinds (no "modalities"): a spectrogram and RGB by visual_shape's 3 channels.
    expect(weightsFacts(file)).toEqual({ method: 'bmm', fusion: 'film', preset: 'paper', width: 1, audioShape: [1, 257, 188], visualShape: [3, 1, 224, 224], classNames: ['a', 'b'], modalities: AUDIO_RGB });
    expect(weightsFacts(new Uint8Array([1, 2, 3]))).toBeNull();
  });

  it('takes the run\'s pair from the metadata: modalities, else visual_shape\'s channels, else (no metadata) the dataset\'s', () => {
    const tensors = [{ name: 'x', dtype: 'F32' as const, shape: [1], data: Float32Array.of(1) }];
    const rgbFlow = encodeSafetensors(tensors, { method: 'audio-only', modalities: '["rgb","flow"]', audio_shape: '[3,1,112,112]', visual_shape: '[2,1,112,112]' });
    expect(weightsFacts(rgbFlow)?.modalities).toBe(RGB_FLOW);
    expect(weightsFacts(encodeSafetensors(tensors, { audio_shape: '[1,64,64]', visual_shape: '[2,1,112,112]' }))?.modalities).toBe(AUDIO_FLOW);
    expect(weightsFacts(encodeSafetensors(tensors, {}))?.modalities).toBeUndefined();
    const ucf = { name: 'ucf', classNames: ['a', 'b'], trainSize: 4, testSize: 2, modalities: RGB_FLOW };
    expect(importedModalities(weightsFacts(rgbFlow), { modalities: AUDIO_RGB })).toBe(RGB_FLOW);
    expect(importedModalities(weightsFacts(encodeSafetensors(tensors, {})), ucf)).toBe(RGB_FLOW);
    const config = importedConfig(weightsFacts(rgbFlow), makeConfig({ preset: 'tiny' }));
    const run = importedRunRecord({ id: 'w', filename: 'w.safetensors', config, datasetId: 'ucf', dataset: ucf, modalities: importedModalities(weightsFacts(rgbFlow), ucf), backend: 'wasm', evaluation }, 0);
    expect(run.modalities).toBe(RGB_FLOW);
    // Named after the file; its generated label names the method by the branch it trained: RGB.
    expect(runName({ ...run, name: undefined })).toMatch(/^RGB only /);
    expect(importNotice('w.safetensors', 1, evaluation, ucf, config, [])).toContain('Test accuracy 62.5% (RGB 50.0%, Flow 25.0%), rho 1.75 (RGB stronger).');
    expect(importNotice('w.safetensors', 1, evaluation, null, config, [])).toContain('(first branch 50.0%, second branch 25.0%), rho 1.75 (first branch stronger)');
  });

  it('names every difference from the form: preset, spectrogram size, frame size and count', () => {
    const form = makeConfig({ preset: 'fast' });
    expect(importMismatches(weightsFacts(file)!, form)).toEqual([
      'it was trained at preset paper, the form says fast',
      `its spectrogram input was 257 x 188, the form's is ${form.audioHeight} x ${form.audioWidth}`,
      `its frames were 224 px x 1, the form's are ${form.visualSize} px x 1`,
    ]);
    expect(importMismatches(weightsFacts(file)!, makeConfig({ preset: 'paper' }))).toEqual([]);
    expect(importMismatches({}, form)).toEqual([]);
  });

  it('records the run under the file\u2019s method and fusion, and says what it was evaluated on', () => {
    const form = makeConfig({ preset: 'paper', method: 'erm', fusion: 'concat', seed: 4 });
    expect(importedConfig(weightsFacts(file), form)).toMatchObject({ method: 'bmm', fusion: 'film', seed: 4 });
    expect(importedConfig({ method: 'unknown' }, form).method).toBe('erm');
    const text = importNotice('w.safetensors', 62, evaluation, { name: 'demo', classNames: ['a'], trainSize: 240, testSize: 120, modalities: AUDIO_RGB }, form, ['it was trained at preset paper, the form says fast']);
    expect(text).toBe(
      'Loaded 62 tensors from w.safetensors, evaluated on the demo dataset generated with seed 4: test accuracy over its test split (120 clips), rho over its training split (240 clips). ' +
        'Test accuracy 62.5% (Audio 50.0%, RGB 25.0%), rho 1.75 (Audio stronger). It is in the runs list; Train continues from these weights. ' +
        "Note: it was trained at preset paper, the form says fast; the accuracies are of the weights at the form's input sizes.",
    );
  });
});
