import { describe, expect, it } from 'vitest';
import { ArrayClipStore, type Dataset } from '../core/dataset';
import { RGB_FLOW } from '../core/modalities';
import { encodeSafetensors, type NamedTensor } from '../core/safetensors';
import { makeDemoDataset } from './demo';
import { PackError, readPack, writePack, type PackFile } from './pack';

function reader(files: PackFile[]) {
  const byName = new Map(files.map((f) => [f.name, f.bytes]));
  return async (name: string) => {
    const b = byName.get(name);
    if (!b) throw new Error(`ENOENT: ${name}`);
    return b;
  };
}

const small = () => makeDemoDataset({ numClasses: 3, trainPerClass: 3, testPerClass: 2, audioHeight: 8, audioWidth: 10, frameSize: 8, frames: 3, seed: 1 });

function manifest(overrides: Record<string, unknown> = {}) {
  return { format: 'bmm-lab-pack', version: 1, class_names: ['a', 'b'], branches: ['spectrogram', 'rgb'], shapes: { spectrogram: [1, 2, 2], rgb: [1, 2, 2, 3] }, shards: [{ file: 'p.safetensors', clips: 2 }], ...overrides };
}

function shard(overrides: Partial<Record<string, Partial<NamedTensor>>> = {}, n = 2): Uint8Array {
  const base: Record<string, NamedTensor> = {
    spectrogram: { name: 'spectrogram', dtype: 'F32', shape: [n, 1, 2, 2], data: new Float32Array(n * 4).map((_, i) => i) },
    rgb: { name: 'rgb', dtype: 'U8', shape: [n, 1, 2, 2, 3], data: new Uint8Array(n * 12).map((_, i) => i) },
    label: { name: 'label', dtype: 'I64', shape: [n], data: new BigInt64Array(n).map((_, i) => BigInt(i % 2)) },
    split: { name: 'split', dtype: 'U8', shape: [n], data: new Uint8Array(n).map((_, i) => i % 2) },
  };
  for (const [k, v] of Object.entries(overrides)) {
    if (v === undefined) continue;
    if (Object.keys(v).length === 0) delete base[k];
    else base[k] = { ...base[k], ...v } as NamedTensor;
  }
  return encodeSafetensors(Object.values(base));
}

const files = (m: object, s: Uint8Array): PackFile[] => [
  { name: 'pack.json', bytes: new TextEncoder().encode(JSON.stringify(m)) },
  { name: 'p.safetensors', bytes: s },
];

describe('dataset packs', () => {
  it('round-trip a dataset: clips, labels, splits, evenly spaced frames, shards', async () => {
    const data = small();
    const written = writePack(data, { frames: 1, maxShardBytes: 4 * (8 * 10 * 4 + 8 * 8 * 3 + 9) });
    expect(written.map((f) => f.name)).toEqual(['pack.json', 'part-00000.safetensors', 'part-00001.safetensors', 'part-00002.safetensors', 'part-00003.safetensors']);
    const { dataset, inputs, manifest: m } = await readPack(reader(written), 'demo');
    expect(m.shards.map((s) => s.clips)).toEqual([4, 4, 4, 3]);
    expect(inputs).toEqual({ audioHeight: 8, audioWidth: 10, visualSize: 8, frames: 1, modalities: ['spectrogram', 'rgb'] });
    expect(dataset.classNames).toEqual(data.classNames);
    expect([dataset.train.size, dataset.test.size]).toEqual([9, 6]);
    expect(Array.from(dataset.train.labels)).toEqual(Array.from(data.train.labels));
    expect(Array.from(dataset.test.labels)).toEqual(Array.from(data.test.labels));
    for (const [ours, theirs] of [
      [dataset.train, data.train],
      [dataset.test, data.test],
    ] as const) {
      for (let i = 0; i < ours.size; i++) {
        const a = new Float32Array(80);
        const b = new Float32Array(80);
        ours.readAudio(i, a, 0);
        theirs.readAudio(i, b, 0);
        expect(a).toEqual(b);
        expect(ours.frameCount(i, 'rgb')).toBe(1);
        // T = 1 of 3 stored frames: the middle one (evaluation transform).
        expect(ours.readFrame(i, 0, 'rgb')).toEqual(theirs.readFrame(i, 1, 'rgb'));
      }
    }
  });

  it('keeps clip ids from the shards’ metadata', async () => {
    const data = small();
    const ids = { train: Array.from({ length: 9 }, (_, i) => `tr${i}`), test: Array.from({ length: 6 }, (_, i) => `te${i}`) };
    const pack = await readPack(reader(writePack(data, { frames: 2, clipIds: ids })));
    expect(pack.clipIds).toEqual(ids);
    expect(pack.dataset.train.frameCount(0, 'rgb')).toBe(2);
  });

  it('reads a hand-made pack in split order across rows', async () => {
    const { dataset } = await readPack(reader(files(manifest(), shard())));
    expect([dataset.train.size, dataset.test.size]).toEqual([1, 1]);
    const a = new Float32Array(4);
    dataset.test.readAudio(0, a, 0);
    expect(Array.from(a)).toEqual([4, 5, 6, 7]);
    expect(Array.from(dataset.test.readFrame(0, 0, 'rgb'))).toEqual([12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23]);
  });

  it('refuses a malformed pack, naming the file and the field', async () => {
    const cases: [PackFile[], string][] = [
      [[], 'pack.json: cannot be read (ENOENT: pack.json); a pack folder holds pack.json and its shards'],
      [[{ name: 'pack.json', bytes: new TextEncoder().encode('{') }], 'pack.json: not JSON'],
      [files(manifest({ version: 2 }), shard()), 'pack.json: version 2 is not supported (this lab reads version 1)'],
      [files(manifest({ format: 'zip' }), shard()), 'pack.json: format is "zip", expected "bmm-lab-pack"'],
      [files(manifest({ branches: ['flow', 'rgb'] }), shard()), 'pack.json: branches ["flow","rgb"] are not supported: the lab trains ["spectrogram","rgb"], ["spectrogram","flow"], ["rgb","flow"]'],
      [files(manifest({ branches: ['rgb', 'spectrogram'] }), shard()), 'pack.json: branches ["rgb","spectrogram"] are not supported'],
      [files(manifest({ branches: ['rgb', 'flow'] }), shard()), 'pack.json: shapes.flow must be [T,S,S,2], got undefined'],
      [files(manifest({ branches: ['rgb', 'flow'], shapes: { rgb: [1, 2, 2, 3], flow: [2, 2, 2, 2] } }), shard()), 'pack.json: shapes.rgb [1,2,2,3] and shapes.flow [2,2,2,2] must share T and S'],
      [files(manifest({ branches: ['rgb', 'flow'], shapes: { rgb: [1, 2, 2, 3], flow: [1, 2, 2, 2] } }), shard()), 'p.safetensors: tensor "flow" is missing'],
      [files(manifest({ shapes: { spectrogram: [1, 2, 2], rgb: [1, 2, 2, 2] } }), shard()), 'pack.json: shapes.rgb must be [T,S,S,3], got [1,2,2,2]'],
      [files(manifest({ class_names: ['a'] }), shard()), 'pack.json: class_names must be an array of at least 2 distinct strings'],
      [files(manifest({ shards: [{ file: '../x', clips: 2 }] }), shard()), 'pack.json: shards[0].file must be a file name in the pack folder'],
      [[files(manifest(), shard())[0]], 'p.safetensors: listed in pack.json shards[0] but cannot be read (ENOENT: p.safetensors)'],
      [files(manifest(), shard({ label: {} })), 'p.safetensors: tensor "label" is missing'],
      [files(manifest(), shard({ rgb: { dtype: 'F32', data: new Float32Array(24) } })), 'p.safetensors: tensor "rgb" is F32, expected U8'],
      [files(manifest(), shard({ spectrogram: { shape: [2, 1, 4, 1] } })), 'p.safetensors: tensor "spectrogram" has shape [2,1,4,1], expected [2,1,2,2] (from pack.json)'],
      [files(manifest({ shards: [{ file: 'p.safetensors', clips: 3 }] }), shard()), 'p.safetensors: tensor "spectrogram" has shape [2,1,2,2], expected [3,1,2,2]'],
      [files(manifest(), shard({ label: { data: new BigInt64Array([0n, 5n]) } })), 'p.safetensors: label[1] is 5, outside the 2 classes of class_names'],
      [files(manifest(), shard({ split: { data: new Uint8Array([0, 0]) } })), 'pack.json: the pack has no test clips (split 1)'],
      [files(manifest(), shard({ split: { data: new Uint8Array([0, 2]) } })), 'p.safetensors: split[1] is 2; expected 0 (train) or 1 (test)'],
      [files(manifest(), new Uint8Array([1, 2, 3])), 'p.safetensors: safetensors: file too short'],
    ];
    for (const [f, message] of cases) {
      const err = await readPack(reader(f)).catch((e: unknown) => e);
      expect(err, message).toBeInstanceOf(PackError);
      expect((err as Error).message).toContain(message);
    }
  });

  it('round-trips an RGB + flow dataset (no spectrogram): both frame tensors, evenly spaced, and the manifest says so', async () => {
    const S = 4;
    const rgb = (v: number, n: number) => Array.from({ length: n }, (_, j) => new Uint8Array(S * S * 3).fill(v + j));
    const flow = (v: number, n: number) => Array.from({ length: n }, (_, j) => new Uint8Array(S * S * 2).fill(v + 10 * j));
    const data: Dataset = {
      name: 'ucf',
      classNames: ['a', 'b'],
      modalities: RGB_FLOW,
      audioHeight: 0,
      audioWidth: 0,
      frameSize: S,
      train: new ArrayClipStore(Int32Array.from([0, 1]), { rgb: [rgb(1, 3), rgb(2, 5)], flow: [flow(100, 2), flow(110, 3)] }),
      test: new ArrayClipStore(Int32Array.from([1]), { rgb: [rgb(3, 1)], flow: [flow(120, 1)] }),
    };
    const written = writePack(data, { frames: 1 });
    const m = JSON.parse(new TextDecoder().decode(written[0].bytes)) as Record<string, unknown>;
    expect([m.branches, m.shapes]).toEqual([['rgb', 'flow'], { rgb: [1, S, S, 3], flow: [1, S, S, 2] }]);
    const { dataset, inputs } = await readPack(reader(written));
    expect(inputs).toEqual({ audioHeight: 0, audioWidth: 0, visualSize: S, frames: 1, modalities: ['rgb', 'flow'] });
    // T = 1: the middle stored frame of each kind, (n - 1) / 2 rounded as the evaluation transform does.
    expect([0, 1].map((i) => dataset.train.readFrame(i, 0, 'rgb')[0])).toEqual([2, 4]);
    expect([0, 1].map((i) => dataset.train.readFrame(i, 0, 'flow')[0])).toEqual([100, 120]);
    expect(dataset.test.readFrame(0, 0, 'flow').length).toBe(S * S * 2);
    expect(() => dataset.train.readAudio(0, new Float32Array(1), 0)).toThrow();
  });
});
