import { describe, expect, it } from 'vitest';
import { exportSafetensors, exportTfjs, importSafetensors, importTfjs, parseWeightsMetadata, transposeData, type WeightsMetadata } from './export';
import { modelParamSpecs, type ModelOptions } from './model';
import { Rng } from './random';
import { decodeSafetensors, encodeSafetensors, type NamedTensor } from './safetensors';
import { useBackend } from '../../test/support/testBackend';
import { AUDIO_RGB, RGB_FLOW } from './modalities';

const OPTIONS: ModelOptions = { numClasses: 3, fusion: 'sum', width: 0.0625, modalities: AUDIO_RGB };
const META: WeightsMetadata = { classNames: ['x', 'y', 'z'], fusion: 'sum', method: 'bmm', preset: 'tiny', width: 0.0625, modalities: AUDIO_RGB, audioShape: [1, 33, 24], visualShape: [3, 1, 32, 32] };

function randomWeights(): Map<string, Float32Array> {
  const rng = new Rng(4);
  return new Map(modelParamSpecs(OPTIONS).map((s) => [s.name, Float32Array.from({ length: s.shape.reduce((a, b) => a * b, 1) }, () => rng.normal())]));
}

describe('safetensors export layout (METHOD.md section 7)', () => {
  it('writes conv kernels OIHW, linear weights [out, in], int64 num_batches_tracked and string metadata', () => {
    const specs = modelParamSpecs(OPTIONS);
    const weights = randomWeights();
    const counts = new Map([['audio_net.bn1', 42]]);
    const file = decodeSafetensors(exportSafetensors(specs, weights, counts, META));
    const conv = file.tensors.get('audio_net.conv1.weight')!;
    expect(conv.shape).toEqual([4, 1, 7, 7]);
    // HWIO [7, 7, 1, 4] element (kh=1, kw=2, i=0, o=3) lands at OIHW (3, 0, 1, 2).
    const hwio = weights.get('audio_net.conv1.weight')!;
    expect((conv.data as Float32Array)[3 * 49 + 1 * 7 + 2]).toBe(hwio[(1 * 7 + 2) * 4 + 3]);
    const fc = file.tensors.get('fusion_module.fc_x.weight')!;
    expect(fc.shape).toEqual([3, 32]);
    expect((fc.data as Float32Array)[2 * 32 + 5]).toBe(weights.get('fusion_module.fc_x.weight')![5 * 3 + 2]);
    const nbt = file.tensors.get('audio_net.bn1.num_batches_tracked')!;
    expect(nbt.dtype).toBe('I64');
    expect(nbt.shape).toEqual([]);
    expect(nbt.data).toEqual(new BigInt64Array([42n]));
    expect(file.metadata).toEqual({
      format_version: '1',
      class_names: '["x","y","z"]',
      num_classes: '3',
      fusion: 'sum',
      method: 'bmm',
      preset: 'tiny',
      width: '0.0625',
      modalities: '["spectrogram","rgb"]',
      audio_shape: '[1,33,24]',
      visual_shape: '[3,1,32,32]',
    });
    const back = importSafetensors(exportSafetensors(specs, weights, counts, META));
    for (const [k, v] of weights) expect(Array.from(back.weights.get(k)!), k).toEqual(Array.from(v));
    expect(back.bnBatchesTracked.get('audio_net.bn1')).toBe(42);
  });

  it('transposeData permutes like numpy.transpose', () => {
    // [2, 3] -> [3, 2]
    expect(Array.from(transposeData(Float32Array.from([1, 2, 3, 4, 5, 6]), [2, 3], [1, 0]))).toEqual([1, 4, 2, 5, 3, 6]);
  });
});

describe('import checks name the first mismatch', () => {
  const specs = modelParamSpecs(OPTIONS);
  const good = () => decodeSafetensors(exportSafetensors(specs, randomWeights(), new Map(), META));
  const rewrite = (edit: (tensors: NamedTensor[]) => NamedTensor[], meta: Record<string, string> = decodeSafetensors(exportSafetensors(specs, randomWeights(), new Map(), META)).metadata) => {
    const list: NamedTensor[] = [...good().tensors.values()].map((t) => ({ name: t.name, dtype: t.dtype, shape: t.shape, data: t.data as Float32Array }));
    return encodeSafetensors(edit(list), meta);
  };

  it('a missing tensor', () => {
    expect(() => importSafetensors(rewrite((l) => l.filter((t) => t.name !== 'visual_net.layer2.0.downsample.0.weight')))).toThrow(
      'weights file has no tensor "visual_net.layer2.0.downsample.0.weight" (expected shape [8, 4, 1, 1])',
    );
  });
  it('an extra tensor', () => {
    expect(() => importSafetensors(rewrite((l) => [...l, { name: 'fusion_module.fc_out.weight', dtype: 'F32', shape: [1], data: new Float32Array(1) }]))).toThrow(
      'weights file has an unexpected tensor "fusion_module.fc_out.weight"',
    );
  });
  it('a wrong shape', () => {
    expect(() => importSafetensors(rewrite((l) => l.map((t) => (t.name === 'audio_net.bn1.weight' ? { ...t, shape: [2, 2] } : t))))).toThrow('tensor "audio_net.bn1.weight" has shape [2, 2]; the model expects [4]');
  });
  it('a wrong dtype', () => {
    expect(() => importSafetensors(rewrite((l) => l.map((t) => (t.name === 'audio_net.bn1.bias' ? { ...t, dtype: 'I32', data: new Int32Array(4) } : t))))).toThrow('tensor "audio_net.bn1.bias" has dtype I32; expected a float type');
  });
  it('a model of other options', () => {
    expect(() => importSafetensors(exportSafetensors(specs, randomWeights(), new Map(), META), { ...OPTIONS, numClasses: 4 })).toThrow('weights were saved with numClasses = 3, but the model has 4');
  });
  it('modalities: RGB + flow round-trips with a frame-shaped first branch; files without it are a spectrogram and RGB or flow', () => {
    const rgbFlow: ModelOptions = { ...OPTIONS, modalities: RGB_FLOW };
    const rf = modelParamSpecs(rgbFlow);
    expect(rf.find((p) => p.name === 'audio_net.conv1.weight')!.shape).toEqual([7, 7, 3, 4]);
    expect(rf.find((p) => p.name === 'visual_net.conv1.weight')!.shape).toEqual([7, 7, 2, 4]);
    const meta: WeightsMetadata = { ...META, modalities: RGB_FLOW, audioShape: [3, 2, 32, 32], visualShape: [2, 2, 32, 32] };
    const weights = new Map(rf.map((p) => [p.name, new Float32Array(p.shape.reduce((a, b) => a * b, 1)).map((_, i) => i % 7)]));
    const back = importSafetensors(exportSafetensors(rf, weights, new Map(), meta));
    expect(back.options).toEqual(rgbFlow);
    expect(back.meta!.audioShape).toEqual([3, 2, 32, 32]);
    expect(back.metadata.modalities).toBe('["rgb","flow"]');
    expect(() => importSafetensors(exportSafetensors(rf, weights, new Map(), meta), OPTIONS)).toThrow(
      'weights were saved with modalities ["rgb","flow"], but the model has ["spectrogram","rgb"]',
    );
    const base = { class_names: '["a","b"]', fusion: 'sum', audio_shape: '[1,2,3]' };
    expect(parseWeightsMetadata({ ...base, visual_shape: '[2,1,2,2]' }).modalities).toEqual(['spectrogram', 'flow']);
    expect(parseWeightsMetadata({ ...base, visual_shape: '[3,1,2,2]' }).modalities).toEqual(['spectrogram', 'rgb']);
    expect(() => parseWeightsMetadata({ ...base, visual_shape: '[3,1,2,2]', modalities: '["flow","rgb"]' })).toThrow(
      'weights metadata "modalities" is ["flow","rgb"]; the lab trains ["spectrogram","rgb"], ["spectrogram","flow"], ["rgb","flow"]',
    );
    expect(() => parseWeightsMetadata({ ...base, visual_shape: '[2,1,2,2]', modalities: '["rgb","flow"]' })).toThrow('"audio_shape" should be a JSON array [C, T, H, W]');
    expect(() => parseWeightsMetadata({ ...base, audio_shape: '[1,1,2,2]', visual_shape: '[2,1,2,2]', modalities: '["rgb","flow"]' })).toThrow('"audio_shape" has 1 channels, but rgb has 3');
  });
  it('metadata that is not the lab format', () => {
    expect(() => parseWeightsMetadata({ class_names: '["a","b"]', fusion: 'mlp', audio_shape: '[1,2,3]', visual_shape: '[3,1,2,2]' })).toThrow('"fusion" is "mlp"; allowed values: concat, sum, film, gated, decision');
    expect(() => parseWeightsMetadata({ class_names: 'not json', fusion: 'sum' })).toThrow('"class_names" is not valid JSON');
  });
});

describe('TF.js format', () => {
  it('round-trips names and values (lab layouts)', async () => {
    await useBackend('cpu');
    const specs = modelParamSpecs(OPTIONS);
    const weights = randomWeights();
    const { modelJson, weightsBin } = await exportTfjs(specs, weights, META);
    const back = await importTfjs(modelJson, weightsBin.buffer.slice(weightsBin.byteOffset, weightsBin.byteOffset + weightsBin.byteLength) as ArrayBuffer);
    expect([...back.keys()].sort()).toEqual([...weights.keys()].sort());
    for (const [k, v] of weights) expect(Array.from(back.get(k)!)).toEqual(Array.from(v));
    expect(JSON.parse(modelJson).userDefinedMetadata.class_names).toBe('["x","y","z"]');
  });
});
