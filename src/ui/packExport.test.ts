import { describe, expect, it } from 'vitest';
import { makeDemoDataset } from '../data/demo';
import { readPack } from '../data/pack';
import { downloadTarget, exportPack, pickFolderTarget } from './packExport';

const dataset = makeDemoDataset({ numClasses: 3, trainPerClass: 4, testPerClass: 2, audioHeight: 16, audioWidth: 16, frameSize: 16, frames: 3, seed: 2 });

/** An in-memory stand-in for the File System Access API's directory handle. */
function fakeDirectory() {
  const files = new Map<string, Uint8Array>();
  const order: string[] = [];
  return {
    files,
    order,
    showDirectoryPicker: async () => ({
      name: 'packs',
      getFileHandle: async (name: string) => ({
        createWritable: async () => {
          const chunks: Uint8Array[] = [];
          return {
            write: async (data: Uint8Array) => void chunks.push(data),
            close: async () => {
              files.set(name, Uint8Array.from(chunks.flatMap((c) => Array.from(c))));
              order.push(name);
            },
          };
        },
      }),
    }),
  };
}

describe('export dataset as a pack', () => {
  it('writes shards then pack.json into a picked folder; the pack reads back as the same clips', async () => {
    const dir = fakeDirectory();
    const target = await pickFolderTarget(dir);
    expect(target?.describe).toBe('to the folder "packs"');
    // A shard budget of ~3 clips: several shards.
    const n = await exportPack(dataset, { frames: 2, maxShardBytes: 3 * (16 * 16 * 4 + 2 * 16 * 16 * 3 + 9) }, target!);
    expect(n).toBe(dir.order.length);
    expect(dir.order.at(-1)).toBe('pack.json');
    expect(dir.order.filter((f) => f.startsWith('part-')).length).toBe(6);
    const back = await readPack(async (name) => {
      const f = dir.files.get(name);
      if (!f) throw new Error(`missing ${name}`);
      return f;
    });
    expect(back.dataset.classNames).toEqual(dataset.classNames);
    expect(back.dataset.train.size).toBe(12);
    expect(back.dataset.test.size).toBe(6);
    expect(Array.from(back.dataset.train.labels)).toEqual(Array.from(dataset.train.labels));
    const a = new Float32Array(16 * 16);
    const b = new Float32Array(16 * 16);
    dataset.test.readAudio(5, a, 0);
    back.dataset.test.readAudio(5, b, 0);
    expect(Array.from(b)).toEqual(Array.from(a));
    // Frames 0 and 2 of 3 stored (evenly spaced, as the evaluation transform picks 2 of 3).
    expect(Array.from(back.dataset.train.readFrame(7, 1, 'rgb'))).toEqual(Array.from(dataset.train.readFrame(7, 2, 'rgb')));
  });

  it('has no folder target without the File System Access API, and downloads each file instead', async () => {
    expect(await pickFolderTarget({})).toBeNull();
    const got: string[] = [];
    const n = await exportPack(dataset, { frames: 1 }, downloadTarget((name) => got.push(name)));
    expect(got).toEqual(['part-00000.safetensors', 'pack.json']);
    expect(n).toBe(2);
  });
});
