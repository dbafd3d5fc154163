/**
 * Runs are never lost: every output path is checked before the data is read or training starts, missing or
 * unreadable inputs get a sentence naming the file and the flag, `--checkpoint DIR` keeps every completed epoch and
 * `--resume` continues it exactly, and a failed run says how to go on.
 */
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BAD_INPUT_DIR, BAD_INPUTS, expectedOn } from '../../e2e/fixtures/badInputs';
import { mediaFixtures } from '../../test/support/mediaFixtures';
import { makeConfig } from '../core/config';
import { findSystemFfmpeg } from '../data/node/nativeFfmpeg';
import { decodeCheckpoint, encodeCheckpoint } from './checkpointFiles';
import { failureAdvice, main, type Output } from './main';
import { batchBeyondMeasured, isOutOfMemory, memoryAdvice, WASM_LIMITS, wasmMaxBatch } from './memoryLimits';
import { clipsInMemory, fittingMicroBatch, pageMemoryAdvice } from '../worker/wasmMemory';

function capture(): Output & { lines: string[]; errors: string[] } {
  const lines: string[] = [];
  const errors: string[] = [];
  return { lines, errors, out: (l) => lines.push(l), err: (l) => errors.push(l) };
}

const TINY = ['--preset', 'tiny', '--width', '0.0625', '--batch', '8', '--backend', 'wasm'];
const asRoot = process.getuid?.() === 0;

describe('bmm-lab refuses bad paths before any work', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bmm-paths-'));
  const aFile = join(dir, 'a-file.txt');
  writeFileSync(aFile, 'x');
  const aFolder = join(dir, 'a-folder');
  mkdirSync(aFolder);
  symlinkSync(join(dir, 'gone.safetensors'), join(dir, 'dangling.safetensors'));

  it('names the flag and the path for every output that cannot be written', async () => {
    const cases: [string[], RegExp][] = [
      [['train', '--export', join(aFolder, 'missing', 'm.safetensors')], /^bmm-lab: --export .*missing\/m\.safetensors: the folder .*missing does not exist$/],
      [['train', '--export', join(aFile, 'm.safetensors')], /--export .*: .*a-file\.txt is a file, not a folder/],
      [['train', '--trace', aFolder], /^bmm-lab: --trace .*a-folder: is a folder; give a file name$/],
      [['train', '--export-tfjs', aFile], /^bmm-lab: --export-tfjs .*a-file\.txt: is a file; give a folder$/],
      [['train', '--export-tfjs', join(aFile, 'sub', 'tfjs')], /--export-tfjs .*: .*a-file\.txt is a file, not a folder/],
      [['train', '--checkpoint', aFile], /^bmm-lab: --checkpoint .*a-file\.txt: is a file; give a folder$/],
      [['pack', '--out', aFile], /^bmm-lab: --out .*a-file\.txt: is a file; give a folder$/],
    ];
    for (const [argv, message] of cases) {
      const io = capture();
      expect(await main([...argv, ...TINY], io), argv.join(' ')).toBe(2);
      expect(io.errors.join('\n'), argv.join(' ')).toMatch(message);
      // Refused before anything started: no backend, dataset or decode line.
      expect(io.lines, argv.join(' ')).toEqual([]);
      expect(io.errors, argv.join(' ')).toHaveLength(1);
    }
  });

  it('pack refuses its output before decoding a folder', async () => {
    const io = capture();
    const src = join(dir, 'data');
    mkdirSync(join(src, 'a'), { recursive: true });
    writeFileSync(join(src, 'a', 'x.mp4'), 'not really');
    expect(await main(['pack', src, '--out', aFile, '--preset', 'tiny'], io)).toBe(2);
    expect(io.errors).toEqual([expect.stringMatching(/--out .*a-file\.txt: is a file; give a folder/)]);
  });

  it('says which input is missing or is not what the flag takes, in a sentence', async () => {
    const cases: [string[], RegExp][] = [
      [['train', '--weights', join(dir, 'dangling.safetensors')], /^bmm-lab: --weights .*dangling\.safetensors: no such file$/],
      [['train', '--weights', aFolder], /^bmm-lab: --weights .*a-folder: is a folder; give the file$/],
      [['train', '--config', aFolder], /^bmm-lab: --config .*a-folder: is a folder; give a run config file/],
      [['train', '--data', aFile], /^bmm-lab: --data .*a-file\.txt: not a folder \(expected a dataset pack with pack\.json, or a dataset folder\)$/],
      [['train', '--resume'], /^bmm-lab: --resume needs --checkpoint DIR/],
      [['train', '--resume', '--checkpoint', aFolder], /^bmm-lab: --resume: no checkpoint in --checkpoint .*a-folder \(.*checkpoint\.json does not exist; a run writes it after its first epoch\)$/],
      [['eval', '--weights', join(dir, 'nope.safetensors'), '--inputs', aFile, '--out', join(dir, 'o.safetensors')], /^bmm-lab: --weights .*nope\.safetensors: no such file$/],
      [['eval', '--weights', aFile, '--inputs', aFolder, '--out', join(dir, 'o.safetensors')], /^bmm-lab: --inputs .*a-folder: is a folder; give the file$/],
      [['eval', '--weights', aFile, '--inputs', aFile, '--out', join(aFile, 'o.safetensors')], /^bmm-lab: --out .*: .*a-file\.txt is a file, not a folder$/],
    ];
    for (const [argv, message] of cases) {
      const io = capture();
      expect(await main(argv, io), argv.join(' ')).toBe(2);
      expect(io.errors.join('\n'), argv.join(' ')).toMatch(message);
      expect(io.errors.join('\n'), 'no errno code').not.toMatch(/\bE[A-Z]{3,}\b/);
    }
  });

  it.skipIf(asRoot)('an unreadable input or an unwritable output folder (not testable as root: root reads and writes anything)', async () => {
    const locked = join(dir, 'locked.safetensors');
    writeFileSync(locked, 'x');
    chmodSync(locked, 0o000);
    const io = capture();
    expect(await main(['train', '--weights', locked], io)).toBe(2);
    expect(io.errors.join('\n')).toMatch(/--weights .*locked\.safetensors: the file cannot be read \(no read permission for this user\)/);
    const ro = join(dir, 'read-only');
    mkdirSync(ro);
    chmodSync(ro, 0o555);
    const io2 = capture();
    expect(await main(['train', '--export', join(ro, 'm.safetensors')], io2)).toBe(2);
    expect(io2.errors.join('\n')).toMatch(/--export .*read-only\/m\.safetensors: the folder .*read-only is not writable/);
  });
});

describe('--checkpoint and --resume', () => {
  it('keeps every completed epoch; --resume continues to the same numbers as an uninterrupted run', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bmm-ckpt-'));
    const ckpt = join(dir, 'run');
    const first = capture();
    expect(await main(['train', '--epochs', '2', '--json', '--checkpoint', ckpt, '--seed', '3', ...TINY], first)).toBe(0);
    for (const f of ['checkpoint.json', 'checkpoint.bin', 'run.json']) expect(existsSync(join(ckpt, f)), f).toBe(true);
    expect(JSON.parse(readFileSync(join(ckpt, 'checkpoint.json'), 'utf8')).checkpoint.epoch).toBe(2);

    const resumed = capture();
    expect(await main(['train', '--resume', '--checkpoint', ckpt, '--epochs', '3', '--json', '--backend', 'wasm'], resumed)).toBe(0);
    expect(resumed.errors.join('\n')).toMatch(/config: .*run\/checkpoint\.json; the command line overrides epochs 2 -> 3 \(--epochs\)/);
    const epochs = resumed.lines.slice(0, -1).map((l) => JSON.parse(l));
    expect(epochs.map((e) => e.epoch), 'only the missing epoch is trained').toEqual([3]);

    const straight = capture();
    expect(await main(['train', '--epochs', '3', '--json', '--seed', '3', ...TINY], straight)).toBe(0);
    const want = JSON.parse(straight.lines[2]);
    const { samplesPerSec: _a, seconds: _b, ...got } = epochs[0];
    const { samplesPerSec: _c, seconds: _d, ...expected } = want;
    expect(got, 'epoch 3 resumed = epoch 3 uninterrupted').toEqual(expected);
    expect(JSON.parse(readFileSync(join(ckpt, 'checkpoint.json'), 'utf8')).checkpoint.epoch).toBe(3);

    const done = capture();
    expect(await main(['train', '--resume', '--checkpoint', ckpt, '--backend', 'wasm'], done)).toBe(2);
    expect(done.errors.join('\n')).toMatch(/--resume: the checkpoint in .* has all 3 epochs already; give more with --epochs N/);
    const other = capture();
    expect(await main(['train', '--resume', '--checkpoint', ckpt, '--epochs', '4', '--method', 'erm', '--backend', 'wasm'], other)).toBe(2);
    expect(other.errors.join('\n')).toMatch(/--resume: .*checkpoint\.json: checkpoint was made with method = bmm, but the config has erm/);
  });

  it('a checkpoint file pair reads back exactly, and a mismatched pair is refused by name', () => {
    const ckpt = {
      version: 1 as const,
      config: makeConfig({ preset: 'tiny' }),
      dataset: { name: 'd', classNames: ['a'], trainSize: 2, testSize: 1 },
      epoch: 1,
      weights: { w: Float32Array.from([1.5, -2, Math.PI]) },
      bnBatchesTracked: { bn: 4 },
      optimizer: { step: 3, m: [Float32Array.from([0.25])], v: [new Float32Array(2)] } as never,
      rng: { s: [1, 2, 3, 4] } as never,
      metrics: [],
    };
    const { json, bin } = encodeCheckpoint(ckpt);
    const back = decodeCheckpoint(json, bin, 'run');
    expect(back.weights.w).toEqual(Float32Array.from([1.5, -2, Math.PI]));
    expect((back.optimizer as unknown as { m: Float32Array[] }).m[0]).toEqual(Float32Array.from([0.25]));
    expect(back.config).toEqual(ckpt.config);
    expect(() => decodeCheckpoint(json, bin.subarray(4), 'run')).toThrow(/run\/checkpoint\.bin has 20 bytes but checkpoint\.json expects 24/);
    expect(() => decodeCheckpoint('{"format":', bin, 'run')).toThrow(/run\/checkpoint\.json is not JSON/);
  });

  it('a failed run says where its checkpoint is and how to go on', () => {
    const config = makeConfig({ preset: 'paper', backend: 'wasm', batch: 64 });
    const args = (checkpointDir: string | null) => ({ checkpointDir }) as Parameters<typeof failureAdvice>[0];
    const oom = 'training ran out of memory (RangeError: WebAssembly.Memory.grow(): Maximum memory size exceeded) at batch 64, preset paper';
    expect(failureAdvice(args('run'), config, 'wasm', oom, 3)).toEqual([
      expect.stringMatching(/^batch 64 does not fit in the wasm backend's memory \(4 GB\); the largest batch measured to fit at preset paper/),
      'the checkpoint of epoch 3 is in run: continue with the same command and --resume (flags such as --batch override its settings)',
    ]);
    expect(failureAdvice(args('run'), config, 'wasm', 'the loss became NaN', 0)).toEqual([
      'no epoch completed, so there is no checkpoint to resume yet; run again (with --resume once run has one)',
    ]);
    expect(failureAdvice(args(null), config, 'wasm', 'the loss became NaN', 2)).toEqual([
      'add --checkpoint DIR to keep a checkpoint of every epoch, so a failed run can go on with --resume',
    ]);
  });
});

describe('batches and the wasm memory', () => {
  it('recognises the session’s out-of-memory failure', () => {
    expect(isOutOfMemory('training ran out of memory (RangeError: WebAssembly.Memory.grow(): Maximum memory size exceeded) at batch 64, preset paper')).toBe(true);
    expect(isOutOfMemory('training failed: Aborted(). Build with -sASSERTIONS for more info.')).toBe(true);
    expect(isOutOfMemory('the loss became NaN at epoch 2')).toBe(false);
  });

  it('says the largest batch measured to fit, before training and after running out of memory', () => {
    const paper = makeConfig({ preset: 'paper', backend: 'wasm' });
    const max = wasmMaxBatch(paper);
    expect(WASM_LIMITS.paper, 'the paper preset is measured').toBeDefined();
    expect(max).toBe(WASM_LIMITS.paper!.maxBatch);
    expect(batchBeyondMeasured({ ...paper, batch: max! })).toBeNull();
    expect(batchBeyondMeasured({ ...paper, batch: max! + 1 })).toMatch(new RegExp(`--batch ${max! + 1} is larger than the ${max} measured to fit .* use --batch ${max}`));
    expect(memoryAdvice({ ...paper, batch: 64 }, 'wasm')).toMatch(new RegExp(`the largest batch measured to fit at preset paper \\(width 1\\) on wasm is ${max}: use --batch ${max}`));
    // Half the width: about twice the batch.
    expect(wasmMaxBatch({ ...paper, width: 0.5 })!).toBeGreaterThan(1.6 * max!);
  });

  it('counts the clips of the largest micro-batch, and offers the micro-batch that fits', () => {
    const paper = makeConfig({ preset: 'paper', backend: 'wasm' });
    const max = wasmMaxBatch(paper)!; // 9
    expect(clipsInMemory({ batch: 64, microBatch: 0 })).toBe(64);
    expect(clipsInMemory({ batch: 64, microBatch: 8 })).toBe(8);
    expect(clipsInMemory({ batch: 17, microBatch: 8 })).toBe(9); // 8 + 9: the last clip joins the piece before
    expect(fittingMicroBatch(64, max)).toBe(8); // 9 would leave 7 x 9 + a last piece of 10
    expect(clipsInMemory({ batch: 64, microBatch: fittingMicroBatch(64, max) })).toBeLessThanOrEqual(max);
    // Batch 64 in micro-batches of 8 fits where batch 64 does not.
    expect(batchBeyondMeasured({ ...paper, batch: 64, microBatch: 8 })).toBeNull();
    expect(batchBeyondMeasured({ ...paper, batch: 64 })).toMatch(new RegExp(`--microBatch ${fittingMicroBatch(64, max)} \\(the same batch, gradients accumulated`));
    expect(batchBeyondMeasured({ ...paper, batch: 64, microBatch: 32 })).toMatch(/^--microBatch 32 \(pieces of up to 32 clips\) is larger than the 9 measured/);
    expect(memoryAdvice({ ...paper, batch: 64 }, 'wasm')).toMatch(/or --microBatch \d+ to keep batch 64/);
    expect(pageMemoryAdvice({ ...paper, batch: 64 })).toMatch(/or set Micro-batch to \d+ \(the same batch, its gradients accumulated; BatchNorm statistics then per micro-batch\)/);
  });
});

describe('a folder of bad inputs through the CLI', () => {
  const fx = mediaFixtures();
  it.skipIf(!fx.ok || !findSystemFfmpeg())('lists every clip used with a warning and every one skipped, counts all files, and goes on with the rest', async () => {
    const out = mkdtempSync(join(tmpdir(), 'bmm-bad-pack-'));
    const io = capture();
    const code = await main(['pack', join(fx.ok ? fx.dir : '', BAD_INPUT_DIR, 'clips'), '--out', join(out, 'pack'), '--preset', 'tiny', '--cache', 'off'], io);
    const err = io.errors.join('\n');
    expect(code, err).toBe(0);
    const rows = BAD_INPUTS.filter((i) => i.set === 'clips').flatMap((i) => i.rows ?? []);
    const count = (v: string) => rows.filter((r) => expectedOn(r, 'ffmpeg').verdict === v).length;
    expect(err).toContain(`files: ${count('used')} used, ${count('warned')} used with a warning, ${count('skipped')} skipped`);
    expect(err).toMatch(new RegExp(`\\n${count('warned')} clips used with a warning:\\n`));
    expect(err).toMatch(/\n {2}clips\/train\/a\/damaged_mpeg4\.avi: damaged_mpeg4\.avi: decoding reported \d+ errors/);
    expect(err).toMatch(/\n {2}clips\/train\/a\/text\.mp4: not a media file/);
    expect(err).toMatch(/\n {2}clips\/train\/a\/zero\.mp4: empty file \(0 bytes\)/);
    expect(io.lines.join('\n')).toMatch(new RegExp(`wrote .*pack: 1 shard\\(s\\), ${count('used') + count('warned') - 2} train / 2 test clips`));
  });
});

describe('a batch that does not fit the wasm memory', () => {
  it('is warned about before training, caught at the first step with the batch that fits, and the run can go on', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bmm-oom-'));
    const io = capture();
    const max = WASM_LIMITS.fast!.maxBatch;
    const code = await main(['train', '--preset', 'fast', '--batch', String(max + 1), '--epochs', '1', '--backend', 'wasm', '--checkpoint', join(dir, 'c')], io);
    const err = io.errors.join('\n');
    expect(code, err).toBe(1);
    expect(err).toMatch(new RegExp(`^warning: --batch ${max + 1} is larger than the ${max} measured to fit in the WebAssembly backend's 4 GB at preset fast`, 'm'));
    // The wasm heap runs out inside a kernel (a RangeError or out-of-bounds access) or in its malloc (a bare abort).
    expect(err).toMatch(/^error: training (ran out of memory|failed: Aborted\(\))/m);
    expect(err).toMatch(new RegExp(`^note: batch ${max + 1} does not fit in the wasm backend's memory \\(4 GB\\); the largest batch measured to fit at preset fast \\(width 0.25\\) on wasm is ${max}: use --batch ${max}`, 'm'));
    expect(err).toMatch(/^note: no epoch completed, so there is no checkpoint to resume yet/m);
    expect(existsSync(join(dir, 'c', 'run.json')), 'the run config is kept to run again').toBe(true);
  });
});
