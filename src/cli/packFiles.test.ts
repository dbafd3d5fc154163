import { mkdtempSync, readdirSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeDemoDataset } from '../data/demo';
import { readPack } from '../data/pack';
import { packFilesWithin, writePackFolder } from './packFiles';

describe('pack shards within --shard-mb', () => {
  const dataset = makeDemoDataset({ trainPerClass: 4, testPerClass: 2, audioHeight: 16, audioWidth: 16, frameSize: 16, frames: 1, seed: 3 });
  // Tensors of one clip: 16 x 16 float32 + 16 x 16 x 3 uint8 + label and split.
  const clipBytes = 16 * 16 * 4 + 16 * 16 * 3 + 9;

  it('keeps every shard at or under the limit, header included, by laying the pack out again', () => {
    // Room for exactly 3 clips' tensors: the header then takes a shard over, so shards end up with 2 clips.
    const limit = 3 * clipBytes + 8;
    const ids = { train: Array.from({ length: dataset.train.size }, (_, i) => `train-clip-${i}`), test: Array.from({ length: dataset.test.size }, (_, i) => `test-clip-${i}`) };
    const files = packFilesWithin(dataset, { frames: 1, maxShardBytes: limit, clipIds: ids });
    const shards = files.slice(1);
    const n = dataset.train.size + dataset.test.size;
    expect(shards.every((f) => f.bytes.length <= limit)).toBe(true);
    expect(shards.length).toBe(Math.ceil(n / 2));
  });

  it('writes pack.json and its shards into the folder, replacing the shards of an earlier pack', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'bmm-packfiles-')), 'pack');
    expect(await writePackFolder(out, dataset, { frames: 1, maxShardBytes: 4 * clipBytes })).toBeGreaterThan(4);
    expect(await writePackFolder(out, dataset, { frames: 1, maxShardBytes: 1e9 })).toBe(1);
    expect(readdirSync(out).sort()).toEqual(['pack.json', 'part-00000.safetensors']);
    const pack = await readPack((name) => readFile(join(out, name)));
    expect([pack.dataset.train.size, pack.dataset.test.size]).toEqual([dataset.train.size, dataset.test.size]);
    expect(statSync(join(out, 'part-00000.safetensors')).size).toBeGreaterThan((dataset.train.size + dataset.test.size) * clipBytes);
  });
});
