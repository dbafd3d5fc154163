/**
 * The CLI on dataset folders and run configs: `train --data FOLDER` (decoded in Node, cached, broken clips listed),
 * `pack FOLDER` -> `train --data PACK` on the same clips, `train --config RUN.json` with flags overriding it, the
 * run config written beside the outputs, and bad input refused with the file and what was expected.
 */
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { copyFixtures, mediaFixtures } from '../../test/support/mediaFixtures';
import { makeConfig } from '../core/config';
import { readRunConfig, runConfigDocument } from '../core/settingsDocument';
import { evaluationFrameIndices } from '../core/frameIndices';
import { decodeFolder, planFolder } from '../data/node/decodeFolder';
import { findSystemFfmpeg } from '../data/node/nativeFfmpeg';
import { readPack } from '../data/pack';
import { main, type Output } from './main';

function capture(): Output & { lines: string[]; errors: string[] } {
  const lines: string[] = [];
  const errors: string[] = [];
  return { lines, errors, out: (l) => lines.push(l), err: (l) => errors.push(l) };
}

const fx = mediaFixtures();
const skipReason = !fx.ok ? fx.reason : !findSystemFfmpeg() ? 'no system ffmpeg on PATH' : null;
if (skipReason) console.warn(`skipping CLI folder tests: ${skipReason}`);
const MODEL = ['--preset', 'tiny', '--width', '0.0625', '--batch', '4', '--epochs', '1', '--backend', 'wasm'];

function summaryOf(io: { lines: string[] }) {
  return JSON.parse(io.lines.at(-1)!).summary;
}

describe.skipIf(skipReason !== null)('bmm-lab on dataset folders', () => {
  it('train --data FOLDER decodes it (broken clips listed and skipped), caches it, and trains', async () => {
    const root = copyFixtures({ mixed: 'class-folders' });
    const dir = join(root, 'mixed');
    copyFileSync(join(fx.ok ? fx.dir : '', 'clips', 'truncated.mp4'), join(dir, 'train', 'red', 'truncated.mp4'));
    // A link to a file that is gone cannot be read; a link back up the tree is entered once.
    symlinkSync(join(root, 'gone.mp4'), join(dir, 'train', 'red', 'gone.mp4'));
    symlinkSync(dir, join(dir, 'test', 'loop'));
    const io = capture();
    expect(await main(['train', '--data', dir, '--json', '--jobs', '2', ...MODEL], io), io.errors.join('\n')).toBe(0);
    const err = io.errors.join('\n');
    expect(err).toMatch(/class folders, 3 classes \(blue, green, red\), 7 train \/ 3 test clips \(split from train\/ and test\/ folders\)/);
    expect(err).toMatch(/decoded 10 clips with ffmpeg \S+ \(2 at once\): 9 decoded, 0 from the cache .*, 1 could not be used/);
    expect(err).toMatch(/\n {2}mixed\/train\/red\/truncated\.mp4: truncated or incomplete file \(the MP4 index "moov" is missing\)/);
    expect(err).toMatch(/\nunreadable: mixed\/train\/red\/gone\.mp4: could not read the file: no such file or directory/);
    const summary = summaryOf(io);
    expect(summary.dataset).toBe('mixed');
    expect(summary.epochs).toBe(1);
    expect(existsSync(join(dir, '.bmm-lab-cache'))).toBe(true);

    const again = capture();
    expect(await main(['train', '--data', dir, '--json', ...MODEL], again)).toBe(0);
    expect(again.errors.join('\n')).toMatch(/: 0 decoded, 9 from the cache \(.*\.bmm-lab-cache\), 1 could not be used/);
    expect(again.errors.join('\n')).toMatch(/\n {2}mixed\/train\/red\/truncated\.mp4: truncated/);
    // The same clips train the same way.
    expect(summaryOf(again).final).toEqual(summary.final);
  });

  it('pack FOLDER writes the clips the planner found (labels, split, ids, shapes) in shards of at most --shard-mb, and train --data PACK reads them', async () => {
    const root = copyFixtures({ crema: 'crema-d' });
    const dir = join(root, 'crema');
    const out = join(root, 'pack');
    const io = capture();
    // One tiny clip is 33 x 24 x 4 + 32 x 32 x 3 + 9 = 6249 bytes: 0.02 MB holds 3 clips with the header.
    expect(await main(['pack', dir, '--out', out, '--preset', 'tiny', '--shard-mb', '0.02', '--cache', 'off'], io), io.errors.join('\n')).toBe(0);
    expect(io.lines.at(-1)).toMatch(/wrote .*pack: 3 shard\(s\), 4 train \/ 4 test clips, 6 classes/);
    const shards = readdirSync(out).filter((f) => f.endsWith('.safetensors'));
    expect(shards).toHaveLength(3);
    for (const s of shards) expect(statSync(join(out, s)).size).toBeLessThanOrEqual(20_000);

    const pack = await readPack((name) => readFile(join(out, name)));
    const { plan } = await planFolder(dir, null);
    const planned = (split: 'train' | 'test') => plan.clips.filter((c) => c.split === split);
    expect(pack.dataset.classNames).toEqual(plan.classNames);
    expect(pack.clipIds).toEqual({ train: planned('train').map((c) => c.id), test: planned('test').map((c) => c.id) });
    expect([...pack.dataset.train.labels]).toEqual(planned('train').map((c) => c.label));
    expect([...pack.dataset.test.labels]).toEqual(planned('test').map((c) => c.label));
    expect(pack.manifest.shapes).toEqual({ spectrogram: [1, 33, 24], rgb: [1, 32, 32, 3] });

    // The stored tensors are the decoded clips: spectrograms as decoded, the evaluation frame of each clip.
    const decoded = (await decodeFolder(dir, { preset: 'tiny', cacheDir: null })).outcome.dataset!;
    const a = new Float32Array(33 * 24);
    const b = new Float32Array(33 * 24);
    for (const split of ['train', 'test'] as const) {
      expect(decoded[split].ids).toEqual(pack.clipIds![split]);
      for (let i = 0; i < decoded[split].size; i++) {
        decoded[split].readAudio(i, a, 0);
        pack.dataset[split].readAudio(i, b, 0);
        expect(b).toEqual(a);
        const [frame] = evaluationFrameIndices(decoded[split].frameCount(i, 'rgb'), 1);
        expect(pack.dataset[split].readFrame(i, 0, 'rgb')).toEqual(decoded[split].readFrame(i, frame, 'rgb'));
      }
    }

    const trained = capture();
    const plain = [...MODEL, '--augment', 'off', '--json'];
    expect(await main(['train', '--data', out, ...plain], trained), trained.errors.join('\n')).toBe(0);
    const summary = summaryOf(trained);
    expect([summary.config.audioHeight, summary.config.audioWidth, summary.config.visualSize]).toEqual([33, 24, 32]);
    // Without augmentation the pack and the folder feed the model the same inputs: the same run.
    const direct = capture();
    expect(await main(['train', '--data', dir, '--cache', 'off', ...plain], direct), direct.errors.join('\n')).toBe(0);
    expect(summaryOf(direct).final).toEqual(summary.final);
  });
});

describe('bmm-lab train --config RUN.json', () => {
  it('UCF-101 with flow: train --data FOLDER trains RGB + flow by default, pack --modalities audio+rgb writes that pair, a pair the folder cannot give is refused', async () => {
    const root = copyFixtures({ ucf: 'ucf', classes: 'class-folders' });
    const io = capture();
    expect(await main(['train', '--data', join(root, 'ucf'), ...MODEL, '--batch', '2', '--cache', 'off'], io), io.errors.join('\n')).toBe(0);
    expect(io.errors.join('\n')).toMatch(/modalities RGB \+ Flow \(it also gives Audio \+ RGB, Audio \+ Flow: --modalities\)/);
    expect(io.lines.join('\n')).toMatch(/^modalities: rgb\+flow/m);
    const out = join(root, 'ucf-pack');
    const packed = capture();
    expect(await main(['pack', join(root, 'ucf'), '--out', out, '--preset', 'tiny', '--modalities', 'audio+rgb', '--cache', 'off'], packed), packed.errors.join('\n')).toBe(0);
    const pack = await readPack((name) => readFile(join(out, name)));
    expect([pack.manifest.branches, pack.dataset.train.size, pack.dataset.test.size]).toEqual([['spectrogram', 'rgb'], 4, 2]);
    const refused = capture();
    expect(await main(['train', '--data', join(root, 'classes'), ...MODEL, '--modalities', 'rgb+flow', '--cache', 'off'], refused)).toBe(2);
    expect(refused.errors.join('\n')).toMatch(/--modalities rgb\+flow: .*classes \(class folders\) gives audio\+rgb/);
  });

  it('starts from the run config, says which flags override it, and writes the config it ran beside its outputs', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bmm-runconfig-'));
    const file = join(dir, 'RUN.json');
    writeFileSync(file, runConfigDocument(makeConfig({ preset: 'tiny', method: 'mm', seed: 5, epochs: 3, width: 0.0625, batch: 8, backend: 'wasm', mm: { alpha: 0.3 } })));
    const weights = join(dir, 'out', 'model.safetensors');
    mkdirSync(join(dir, 'out'));
    const io = capture();
    expect(await main(['train', '--config', file, '--epochs', '1', '--mm.alpha', '0.7', '--export', weights], io), io.errors.join('\n')).toBe(0);
    expect(io.lines).toContain(`config: ${file}; the command line overrides epochs 3 -> 1 (--epochs), mm.alpha 0.3 -> 0.7 (--mm.alpha)`);
    expect(io.lines).toContain(`wrote ${join(dir, 'out', 'model.run.json')}`);
    const ran = readRunConfig(readFileSync(join(dir, 'out', 'model.run.json'), 'utf8'), 'model.run.json');
    expect([ran.method, ran.seed, ran.epochs, ran.mm.alpha, ran.width, ran.preset]).toEqual(['mm', 5, 1, 0.7, 0.0625, 'tiny']);

    // The written config runs again as it is, and --json keeps stdout to JSON (the note goes to stderr).
    const again = capture();
    expect(await main(['train', '--config', join(dir, 'out', 'model.run.json'), '--json'], again)).toBe(0);
    expect(again.errors).toContain(`config: ${join(dir, 'out', 'model.run.json')} (no flag overrides it)`);
    expect(summaryOf(again).config).toEqual(ran);
  });
});

describe('bad input is refused with the file and what was expected', () => {
  it('a config of another format or version, an unknown or wrong field', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bmm-badconfig-'));
    const write = (name: string, doc: unknown) => {
      writeFileSync(join(dir, name), JSON.stringify(doc));
      return join(dir, name);
    };
    const cases: [string, RegExp][] = [
      [write('v2.json', { format: 'bmm-lab-run', version: 2, config: {} }), /v2\.json: version 2 is not supported \(this lab reads version 1\)/],
      [write('other.json', { format: 'bmm-lab-pack', version: 1 }), /other\.json: format "bmm-lab-pack" is not "bmm-lab-run"/],
      [write('typo.json', { format: 'bmm-lab-run', version: 1, config: { epochz: 3 } }), /typo\.json: unknown setting "epochz"/],
      [write('group.json', { format: 'bmm-lab-run', version: 1, config: { bmm: { bta: 1 } } }), /group\.json: unknown setting "bmm\.bta"/],
      [write('value.json', { format: 'bmm-lab-run', version: 1, config: { method: 'sgd' } }), /value\.json: method "sgd" is not known; allowed values: erm, mm, bmm, ogm-ge/],
      [join(dir, 'missing.json'), /--config .*missing\.json: no such file/],
    ];
    writeFileSync(join(dir, 'broken.json'), '{"format": "bmm-lab-run",');
    cases.push([join(dir, 'broken.json'), /broken\.json: not JSON/]);
    for (const [path, message] of cases) {
      const io = capture();
      expect(await main(['train', '--config', path], io), path).toBe(2);
      expect(io.errors.join('\n')).toMatch(message);
    }
  });

  it('a folder in no layout the lab knows, a missing folder, bad decode flags', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bmm-nolayout-'));
    writeFileSync(join(dir, 'notes.txt'), 'my notes\n');
    writeFileSync(join(dir, 'readme.md'), '# data\n');
    const loose = mkdtempSync(join(tmpdir(), 'bmm-loose-'));
    writeFileSync(join(loose, 'photo.jpg'), 'not a photo');
    const cases: [string[], RegExp][] = [
      [['train', '--data', dir], /--data .*bmm-nolayout-\S+: no pack\.json, and no dataset layout recognised among 2 files \(0 videos, 0 audio, 0 images, 1 text files\)\. Expected CREMA-D/],
      [['pack', dir, '--out', join(dir, 'pack')], /pack .*bmm-nolayout-\S+: no dataset layout recognised among 2 files/],
      // One image looks like a frame folder, but there is no clip in it.
      [['train', '--data', loose], /--data .*bmm-loose-\S+: no clips found \(read as frame folders: 1 file ignored, listed above\)\. Expected CREMA-D .* or frame folders/],
      [['pack', join(dir, 'nope'), '--out', join(dir, 'pack')], /pack .*nope: no such folder/],
      [['train', '--data', join(dir, 'notes.txt')], /--data .*notes\.txt: not a folder \(expected a dataset pack with pack\.json, or a dataset folder\)/],
      [['train', '--jobs', '0'], /--jobs must be an integer >= 1, got "0"/],
      [['train', '--decoder', 'gpu'], /--decoder "gpu" is not known; allowed values: auto, ffmpeg, wasm/],
      [['pack', dir, '--out', join(dir, 'p'), '--shard-mb', '-1'], /--shard-mb must be a number of MB > 0, got "-1"/],
      [['pack', 'a', 'b', '--out', join(dir, 'p')], /unexpected argument "b"/],
    ];
    for (const [argv, message] of cases) {
      const io = capture();
      expect(await main(argv, io), argv.join(' ')).toBe(2);
      expect(io.errors.join('\n')).toMatch(message);
    }
  });
});
