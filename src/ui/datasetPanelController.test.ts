import { describe, expect, it, vi } from 'vitest';
import type { ClipCache } from '../data/decode/clipCache';
import type { DecodedDataset, DecodeOutcome, DecodeProgress, DecodeRunOptions } from '../data/decode/decodeDataset';
import type { DroppedFile, FsDirectoryEntryLike, FsEntryLike, FsFileEntryLike } from '../data/decode/fileEntries';
import {
  DatasetPanelController,
  datasetName,
  ignoredCount,
  isDecoding,
  memoryEstimate,
  rootFolders,
  type DatasetPanelDeps,
  type DatasetPanelState,
} from './datasetPanelController';
import { doneText, presetHint } from './datasetPanelText';
import { AUDIO_FLOW, AUDIO_RGB, RGB_FLOW } from '../core/modalities';

function dropped(path: string, content = 'x'): DroppedFile {
  const file = new File([content], path.split('/').pop()!, { lastModified: 1_700_000_000_000 });
  return { path, size: file.size, lastModified: file.lastModified, file };
}

/** A class-folder set: 2 classes, 2 train and 2 test clips, one stray file the plan ignores. */
const CLASS_SET = ['set/train/a/1.mp4', 'set/train/b/2.mp4', 'set/test/a/3.mp4', 'set/test/b/4.mp4', 'set/notes.md'];

/** decodePlan stand-in: records its calls; each call waits until `finish` or `fail` is called. */
function fakeDecoder() {
  const calls: Array<{ clips: number; opts: DecodeRunOptions }> = [];
  let settle: { resolve: (o: DecodeOutcome) => void; reject: (e: Error) => void } | null = null;
  const decodePlan = (plan: { clips: unknown[] }, opts: DecodeRunOptions) => {
    calls.push({ clips: plan.clips.length, opts });
    return new Promise<DecodeOutcome>((resolve, reject) => (settle = { resolve, reject }));
  };
  const outcome = (o: Partial<DecodeOutcome>): DecodeOutcome => ({
    dataset: null,
    clips: [],
    failures: [],
    clipWarnings: [],
    cancelled: false,
    decoded: 0,
    cached: 0,
    seconds: 0,
    decoders: {},
    warnings: [],
    settings: { preset: 'tiny', audioHeight: 33, audioWidth: 24, frameSize: 32, maxFrames: 3 },
    modalities: AUDIO_RGB,
    ...o,
  });
  return {
    decodePlan,
    calls,
    finish: (o: Partial<DecodeOutcome>) => settle!.resolve(outcome(o)),
    fail: (e: Error) => settle!.reject(e),
  };
}

function setup(opts: { cache?: ClipCache | null } = {}) {
  const decoder = fakeDecoder();
  const onDataset = vi.fn();
  const onPlanned = vi.fn();
  const onDecoded = vi.fn();
  const deps: DatasetPanelDeps = {
    decodePlan: decoder.decodePlan as DatasetPanelDeps['decodePlan'],
    openCache: async () => (opts.cache === undefined ? ({} as ClipCache) : opts.cache),
    onDataset,
    onPlanned,
    onDecoded,
    poolSize: 2,
  };
  const controller = new DatasetPanelController(deps, 'tiny');
  const state = () => controller.getState();
  /** Resolves once the state satisfies `ok`. */
  const until = (ok: (s: DatasetPanelState) => boolean) =>
    new Promise<DatasetPanelState>((resolve) => {
      if (ok(state())) return resolve(state());
      const off = controller.subscribe(() => {
        if (ok(state())) {
          off();
          resolve(state());
        }
      });
    });
  return { controller, deps, state, until, decoder, onDataset, onPlanned, onDecoded };
}

/** Drops CLASS_SET (plus a file with a control character in its name) and waits for the plan. */
async function planned() {
  const t = setup();
  t.controller.addFiles([...CLASS_SET.map((p) => dropped(p)), dropped('set/train/a/bad\u0001.mp4')]);
  await t.until((s) => s.plan !== null);
  return t;
}

const fakeDataset = (train: number, test: number) => ({ train: { size: train }, test: { size: test } }) as unknown as DecodedDataset;

describe('DatasetPanelController: drop and plan', () => {
  it('starts empty with the preset’s frame cap', () => {
    const { state } = setup();
    expect(state()).toMatchObject({ preset: 'tiny', files: [], plan: null, planning: false, progress: null, done: null, maxFrames: 3 });
    expect(isDecoding(state())).toBe(false);
    expect(memoryEstimate(state())).toBe(0);
  });

  it('plans added files: planning, then the plan with its summary, ignored files and estimate', async () => {
    const t = setup();
    t.controller.addFiles([...CLASS_SET.map((p) => dropped(p)), dropped('set/train/a/bad\u0001.mp4')]);
    expect(t.state().planning).toBe(true);
    expect(t.state().files.map((f) => f.path)).toEqual(CLASS_SET);
    expect(t.state().unreadable.map((u) => u.path)).toEqual(['set/train/a/bad\u0001.mp4']);
    const s = await t.until((x) => !x.planning);
    expect(s.plan!.layout).toBe('class-folders');
    expect(s.plan!.classNames).toEqual(['a', 'b']);
    expect([s.summary!.train, s.summary!.test]).toEqual([2, 2]);
    expect(s.plan!.ignored.map((i) => [i.path, i.kind])).toEqual([['set/notes.md', 'unknown-extension']]);
    expect(ignoredCount(s)).toBe(2); // notes.md + the unreadable name
    // tiny: 2 * 33 * 24 bytes of spectrogram + 3 frames of 32 * 32 * 3 = 10800 per clip, 4 clips.
    expect(memoryEstimate(s)).toBe(43_200);
    expect(rootFolders(s.files)).toEqual(['set']);
    expect(t.onPlanned).toHaveBeenCalledTimes(1);
    expect(t.onPlanned.mock.calls[0][1]).toBe(s.summary);
  });

  it('UCF-101 with flow: RGB + flow by default, another pair of the plan on request, passed to decodePlan; a pair it cannot give is ignored', async () => {
    const t = setup();
    const ucf = [
      dropped('ucf/classInd.txt', '1 A\n2 B\n'),
      dropped('ucf/trainlist01.txt', 'A/v_A_g02_c01.avi 1\nB/v_B_g02_c01.avi 2\n'),
      dropped('ucf/testlist01.txt', 'A/v_A_g01_c01.avi\nB/v_B_g01_c01.avi\n'),
      ...['v_A_g02_c01', 'v_B_g02_c01', 'v_A_g01_c01', 'v_B_g01_c01'].flatMap((stem) => [
        dropped(`ucf/UCF-101/${stem.slice(2, 3)}/${stem}.avi`),
        dropped(`ucf/u/${stem}/frame000001.jpg`),
        dropped(`ucf/v/${stem}/frame000001.jpg`),
      ]),
    ];
    t.controller.addFiles(ucf);
    const s = await t.until((x) => x.plan !== null);
    expect(s.plan!.layout).toBe('ucf-101');
    expect(s.modalities).toEqual(RGB_FLOW);
    // tiny: RGB 3 frames of 32 x 32 x 3 and flow 3 of 32 x 32 x 2, no spectrogram, 4 clips.
    expect(memoryEstimate(s)).toBe(4 * 3 * 32 * 32 * 5);
    t.controller.setModalities(AUDIO_FLOW);
    expect(t.state().modalities).toEqual(AUDIO_FLOW);
    expect(memoryEstimate(t.state())).toBe(4 * (2 * 33 * 24 + 3 * 32 * 32 * 2));
    t.controller.setModalities(['spectrogram', 'spectrogram']);
    expect(t.state().modalities).toEqual(AUDIO_FLOW);
    void t.controller.decode();
    await t.until((x) => x.progress !== null);
    expect(t.decoder.calls[0].opts.modalities).toEqual(AUDIO_FLOW);
    t.decoder.finish({});
  });

  it('shows only the latest plan when files are added again before planning ends', async () => {
    const t = setup();
    t.controller.addFiles([dropped('x/train/a/1.mp4'), dropped('x/test/a/2.mp4')]);
    t.controller.addFiles([dropped('y/train/b/3.mp4'), dropped('y/test/b/4.mp4')]);
    const s = await t.until((x) => !x.planning);
    expect(s.plan!.classNames).toEqual(['a', 'b']);
    expect(datasetName(s.files)).toBe('x + y');
    await new Promise((r) => setTimeout(r, 10));
    expect(t.onPlanned).toHaveBeenCalledTimes(1);
  });

  it('says why files fit no layout, and clears', async () => {
    const t = setup();
    t.controller.addFiles([dropped('docs/a.pdf'), dropped('docs/notes.txt')]);
    const s = await t.until((x) => !x.planning);
    expect(s.plan).toBeNull();
    expect(s.planError).toMatch(/^No dataset layout recognised among 2 files \(0 videos, 0 audio, 0 images, 1 text files\)/);
    t.controller.clear();
    expect(t.state()).toMatchObject({ files: [], unreadable: [], plan: null, planError: null, planning: false });
    expect(datasetName(t.state().files)).toBe('dropped dataset');
  });

  it('walks dropped folders, counting, next to loose files', async () => {
    const t = setup();
    const fileEntry = (fullPath: string): FsFileEntryLike => ({
      isFile: true,
      isDirectory: false,
      name: fullPath.split('/').pop()!,
      fullPath,
      file: (ok) => ok(new File(['v'], fullPath.split('/').pop()!)),
    });
    const dir = (fullPath: string, children: FsEntryLike[]): FsDirectoryEntryLike => {
      let read = false;
      return {
        isFile: false,
        isDirectory: true,
        name: fullPath.split('/').pop()!,
        fullPath,
        createReader: () => ({ readEntries: (ok) => ok(read ? [] : ((read = true), children)) }),
      };
    };
    const root = dir('/d', [dir('/d/a', [fileEntry('/d/a/1.mp4'), fileEntry('/d/a/2.mp4')]), dir('/d/b', [fileEntry('/d/b/3.mp4')])]);
    const reading: Array<number | null> = [];
    t.controller.subscribe(() => {
      if (reading[reading.length - 1] !== t.state().reading) reading.push(t.state().reading);
    });
    await t.controller.drop([root], [new File(['v'], 'loose.mp4')]);
    expect(reading).toEqual([0, 3, null]);
    expect(t.state().files.map((f) => f.path)).toEqual(['d/a/1.mp4', 'd/a/2.mp4', 'd/b/3.mp4', 'loose.mp4']);
    const s = await t.until((x) => !x.planning);
    expect(s.plan!.ignored.map((i) => [i.path, i.kind])).toEqual([['loose.mp4', 'no-class-folder']]);
  });

  it('resets the frame cap to the new preset’s default, not for the same preset', async () => {
    const t = await planned();
    t.controller.setMaxFrames(5);
    t.controller.configure(t.deps, 'tiny');
    expect(t.state().maxFrames).toBe(5);
    t.controller.configure(t.deps, 'paper');
    expect(t.state()).toMatchObject({ preset: 'paper', maxFrames: 1 });
    // paper: 2 * 257 * 188 + 224 * 224 * 3 = 247160 bytes per clip, 4 clips.
    expect(memoryEstimate(t.state())).toBe(988_640);
  });
});

describe('DatasetPanelController: decode', () => {
  it('decodes with progress, then shows the result and hands the dataset over', async () => {
    const t = await planned();
    t.controller.setMaxFrames(2);
    const decoding = t.controller.decode();
    expect(t.state().progress).toEqual({ total: 4, done: 0, decoded: 0, cached: 0, failed: 0, clipsPerSecond: null, etaSeconds: null });
    expect(isDecoding(t.state())).toBe(true);
    await vi.waitFor(() => expect(t.decoder.calls).toHaveLength(1));
    const { opts } = t.decoder.calls[0];
    expect([t.decoder.calls[0].clips, opts.preset, opts.maxFrames, opts.name, opts.poolSize, opts.signal!.aborted]).toEqual([4, 'tiny', 2, 'set', 2, false]);
    // Nothing changes the files while decoding.
    t.controller.addFiles([dropped('set/train/a/9.mp4')]);
    t.controller.clear();
    t.controller.setMaxFrames(5);
    expect([t.state().files.length, t.state().maxFrames]).toEqual([5, 2]);
    void t.controller.decode(); // a second decode is refused
    const step: DecodeProgress = { total: 4, done: 2, decoded: 1, cached: 1, failed: 0, clipsPerSecond: 4, etaSeconds: 0.5 };
    opts.onProgress!(step);
    expect(t.state().progress).toEqual(step);

    t.decoder.finish({
      dataset: fakeDataset(2, 1),
      decoded: 2,
      cached: 1,
      seconds: 2.5,
      failures: [{ clipId: 'set/test/b/4.mp4', path: 'set/test/b/4.mp4', reason: 'truncated file' }],
    });
    await decoding;
    const s = t.state();
    expect(s.progress).toBeNull();
    expect(s.done).toMatchObject({ outcome: 'ready', preset: 'tiny', maxFrames: 2, train: 2, test: 1, error: null });
    expect(doneText(s.done!)).toBe('Ready: 2 train / 1 test clips (2 decoded, 1 from cache) in 3s.');
    expect(t.decoder.calls).toHaveLength(1);
    expect(t.onDecoded).toHaveBeenCalledWith(expect.objectContaining({ decoded: 2 }), 'set', ['a', 'b'], s.done!.verdicts);
    // Every file has its verdict: the failed clip and the ignored and unreadable files are skipped, the rest used.
    expect(s.done!.verdicts.map((v) => [v.path, v.verdict])).toEqual([
      ['set/test/a/3.mp4', 'used'],
      ['set/test/b/4.mp4', 'skipped'],
      ['set/train/a/1.mp4', 'used'],
      ['set/train/b/2.mp4', 'used'],
      ['set/notes.md', 'skipped'],
      ['set/train/a/bad\u0001.mp4', 'skipped'],
    ]);
    // Ignored: notes.md, the unreadable name and the failed clip.
    expect(t.onDataset).toHaveBeenCalledWith(fakeDataset(2, 1), { name: 'set', classNames: ['a', 'b'], ignored: 3 });
    t.controller.addFiles([dropped('set/train/a/9.mp4')]);
    expect(t.state().done).toBeNull(); // new files: the result no longer applies
  });

  it('cancels: the signal aborts, the result says so, and no dataset is handed over', async () => {
    const t = await planned();
    const decoding = t.controller.decode();
    await vi.waitFor(() => expect(t.decoder.calls).toHaveLength(1));
    t.controller.cancel();
    expect(t.decoder.calls[0].opts.signal!.aborted).toBe(true);
    t.decoder.finish({ cancelled: true, decoded: 1 });
    await decoding;
    expect(t.state().done!.outcome).toBe('cancelled');
    expect(doneText(t.state().done!)).toBe('Cancelled after 1 clips; decoded clips are cached.');
    expect(t.onDecoded).toHaveBeenCalledTimes(1);
    expect(t.onDataset).not.toHaveBeenCalled();
  });

  it('shows why decoding failed', async () => {
    const t = await planned();
    const decoding = t.controller.decode();
    await vi.waitFor(() => expect(t.decoder.calls).toHaveLength(1));
    t.decoder.fail(new Error('the decode worker could not start'));
    await decoding;
    expect(t.state().progress).toBeNull();
    expect(t.state().done).toMatchObject({ outcome: 'failed', error: 'the decode worker could not start', train: 0, test: 0 });
    expect(doneText(t.state().done!)).toBe('Decoding stopped: the decode worker could not start');
    expect(t.onDecoded).not.toHaveBeenCalled();
    expect(t.onDataset).not.toHaveBeenCalled();
  });

  it('says when there is no cache, and clears the cache', async () => {
    const none = setup({ cache: null });
    none.controller.addFiles(CLASS_SET.map((p) => dropped(p)));
    await none.until((s) => s.plan !== null);
    const decoding = none.controller.decode();
    await vi.waitFor(() => expect(none.decoder.calls).toHaveLength(1));
    expect(none.state().cacheNote).toBe('IndexedDB is not available: decoded clips are not cached');
    expect(none.decoder.calls[0].opts.cache).toBeNull();
    none.decoder.finish({ dataset: fakeDataset(2, 2) });
    await decoding;
    await none.controller.clearCache();
    expect(none.state().cacheNote).toBe('IndexedDB is not available: decoded clips are not cached');

    const clear = vi.fn(async () => {});
    const t = setup({ cache: { clear } as unknown as ClipCache });
    await t.controller.clearCache();
    expect(clear).toHaveBeenCalledTimes(1);
    expect(t.state().cacheNote).toBe('decode cache cleared');
  });
});

describe('presetHint', () => {
  it('points class folders (Kinetics-Sounds) to the kinetics-sounds preset unless it is chosen', () => {
    expect(presetHint('class-folders', 'fast')).toMatch(/3 frames per clip, the kinetics-sounds preset/);
    expect(presetHint('class-folders', 'kinetics-sounds')).toBeNull();
    expect(presetHint('crema-d', 'fast')).toBeNull();
    expect(presetHint('ucf-101', 'paper')).toBeNull();
  });
});
