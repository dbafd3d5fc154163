import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { planDataset } from '../layouts';
import { ClipCache } from './clipCache';
import type { CachedClip } from './clipCache';
import { decodePlan, type DecodeProgress } from './decodeDataset';
import type { DroppedFile } from './fileEntries';
import type { DecodeIn, DecodeOut } from './messages';
import type { WorkerLike } from './pool';

const paths = ['ds/train/red/a.mp4', 'ds/train/red/damaged.mp4', 'ds/train/red/bad.mp4', 'ds/train/blue/b.mp4', 'ds/test/red/c.mp4', 'ds/test/blue/d.mp4', 'ds/test/blue/crash.mp4'];
const files: DroppedFile[] = paths.map((path) => {
  const file = new File([path], path.split('/').pop()!, { lastModified: 1 });
  return { path, size: file.size, lastModified: 1, file };
});

const jobsSeen: string[] = [];

/** Decodes instantly: 'bad' is a broken file, 'crash' kills the worker, others give tensors of the job's sizes. */
class FakeDecodeWorker implements WorkerLike {
  onmessage: ((e: MessageEvent<DecodeOut>) => void) | null = null;
  onerror: ((e: ErrorEvent) => void) | null = null;
  postMessage({ job }: DecodeIn): void {
    jobsSeen.push(job.clipId);
    setTimeout(() => {
      if (job.clipId.includes('crash')) {
        this.onerror?.({ message: 'boom', preventDefault() {} } as ErrorEvent);
        return;
      }
      if (job.clipId.includes('bad')) {
        this.onmessage?.({ data: { type: 'result', id: job.id, ok: false, path: job.video!.path, reason: 'no audio track', inherent: true, ms: 1 } } as MessageEvent<DecodeOut>);
        return;
      }
      const data = new Uint8Array(2 * job.frameSize * job.frameSize * 3).fill(job.clipId.includes('red') ? 200 : 20);
      const reply: DecodeOut = {
        type: 'result',
        id: job.id,
        ok: true,
        spectrogram: new Uint16Array(job.audioHeight * job.audioWidth).fill(1000),
        frames: { rgb: { data, count: 2 } },
        decoder: 'webcodecs+webcodecs',
        warnings: job.clipId.includes('damaged') ? ['damaged.mp4: decoding reported 3 errors'] : [],
        ms: 1,
      };
      this.onmessage?.({ data: reply } as MessageEvent<DecodeOut>);
    }, 1);
  }
  terminate(): void {}
}

async function plan() {
  return planDataset(files, async () => '');
}

describe('decodePlan', () => {
  it('decodes, lists unusable clips, builds the dataset, and serves the second run from the cache', async () => {
    const cache = await ClipCache.open('decode-plan-test');
    const p = await plan();
    jobsSeen.length = 0;
    const seen: DecodeProgress[] = [];
    const first = await decodePlan(p, { preset: 'tiny', maxFrames: 2, name: 'ds', cache, poolSize: 2, createWorker: () => new FakeDecodeWorker(), onProgress: (x) => seen.push(x) });
    expect(first.cancelled).toBe(false);
    expect(first.decoded).toBe(5);
    expect(first.cached).toBe(0);
    // In plan order (natural order of the ids).
    expect(first.failures.map((f) => [f.path, f.reason])).toEqual([
      ['ds/test/blue/crash.mp4', 'the decode worker crashed (boom)'],
      ['ds/train/red/bad.mp4', 'no audio track'],
    ]);
    const d = first.dataset!;
    expect(d.classNames).toEqual(['blue', 'red']);
    expect([d.audioHeight, d.audioWidth, d.frameSize, d.modalities]).toEqual([33, 24, 32, ['spectrogram', 'rgb']]);
    expect(d.train.ids).toEqual(['ds/train/blue/b.mp4', 'ds/train/red/a.mp4', 'ds/train/red/damaged.mp4']);
    // A damaged clip is used, and its warning names it.
    expect(first.clipWarnings).toEqual([{ clipId: 'ds/train/red/damaged.mp4', path: 'ds/train/red/damaged.mp4', reason: 'damaged.mp4: decoding reported 3 errors' }]);
    expect(d.test.ids).toEqual(['ds/test/blue/d.mp4', 'ds/test/red/c.mp4']);
    expect(d.train.readFrame(1, 1, 'rgb')[0]).toBe(200);
    expect(first.decoders).toEqual({ 'webcodecs+webcodecs': 5 });
    const last = seen[seen.length - 1];
    expect(last).toMatchObject({ total: 7, done: 7, decoded: 5, failed: 2 });
    expect(last.clipsPerSecond).toBeGreaterThan(0);
    // The broken file's verdict is cached; the crash is not (it may work next time).
    expect(await cache.count()).toBe(6);

    jobsSeen.length = 0;
    const second = await decodePlan(p, { preset: 'tiny', maxFrames: 2, name: 'ds', cache, poolSize: 2, createWorker: () => new FakeDecodeWorker() });
    expect(jobsSeen).toEqual(['ds/test/blue/crash.mp4']);
    expect(second.cached).toBe(5);
    expect(second.decoded).toBe(0);
    expect(second.clipWarnings.map((w) => w.reason), 'the warning comes back from the cache').toEqual(['damaged.mp4: decoding reported 3 errors']);
    expect(second.failures.map((f) => f.path)).toEqual(['ds/test/blue/crash.mp4', 'ds/train/red/bad.mp4']);
    expect(second.dataset!.train.ids).toEqual(d.train.ids);

    // Another preset is another cache entry.
    jobsSeen.length = 0;
    const fast = await decodePlan(p, { preset: 'fast', maxFrames: 2, name: 'ds', cache, poolSize: 2, createWorker: () => new FakeDecodeWorker() });
    expect(jobsSeen).toHaveLength(7);
    expect(fast.dataset!.frameSize).toBe(112);
    cache.close();
  });

  it('stops on cancel without building a dataset', async () => {
    const p = await plan();
    const controller = new AbortController();
    const out = await decodePlan(p, {
      preset: 'tiny',
      maxFrames: 1,
      name: 'ds',
      cache: null,
      poolSize: 1,
      createWorker: () => new FakeDecodeWorker(),
      signal: controller.signal,
      onProgress: (x) => {
        if (x.done >= 1) controller.abort();
      },
    });
    expect(out.cancelled).toBe(true);
    expect(out.dataset).toBeNull();
    expect(out.decoded + out.failures.length).toBeLessThan(7);
  });

  it('warns when the usable clips do not make both splits', async () => {
    const only = await planDataset(
      files.filter((f) => f.path.includes('bad') || f.path.includes('/test/')),
      async () => '',
    );
    const out = await decodePlan(only, { preset: 'tiny', maxFrames: 1, name: 'x', cache: null, poolSize: 2, createWorker: () => new FakeDecodeWorker() });
    expect(out.dataset).toBeNull();
    expect(out.warnings.join('\n')).toMatch(/0 training and 2 test clips/);
    expect(out.warnings.join('\n')).toMatch(/no training clips are left for: red/);
  });
});

describe('decodePlan and a damaged cache', () => {
  it('decodes again, and never uses, a cached clip whose tensors do not fit its settings (an interrupted write)', async () => {
    const p = await plan();
    const good = (key: string, frames: number) => ({
      key,
      ok: true as const,
      spectrogram: new Uint16Array(33 * 24).fill(7),
      frames: { rgb: { data: new Uint8Array(frames).fill(9), count: 1 } },
      decoder: 'cached',
      storedAt: 0,
    });
    const stored = new Map<string, CachedClip>();
    const cache = {
      getMany: async (keys: readonly string[]) => {
        const out = new Map<string, CachedClip>();
        // Every entry: the right spectrogram, but only half of its one frame's bytes (as a half-written entry).
        for (const k of keys) out.set(k, stored.get(k) ?? good(k, (32 * 32 * 3) / 2));
        return out;
      },
      putMany: async (entries: readonly CachedClip[]) => void entries.forEach((e) => stored.set(e.key, e)),
    };
    jobsSeen.length = 0;
    const out = await decodePlan(p, { preset: 'tiny', maxFrames: 2, name: 'ds', cache, poolSize: 2, createWorker: () => new FakeDecodeWorker() });
    expect(out.cached, 'no damaged entry is used').toBe(0);
    expect(jobsSeen.length, 'every clip decoded again').toBe(7);
    expect(out.decoders).toEqual({ 'webcodecs+webcodecs': 5 });
    expect(out.warnings.join('\n')).toMatch(/7 cached clips did not fit their settings .* and were decoded again/);
    // What was decoded again replaced the damaged entries: the next run reads them.
    jobsSeen.length = 0;
    const again = await decodePlan(p, { preset: 'tiny', maxFrames: 2, name: 'ds', cache, poolSize: 2, createWorker: () => new FakeDecodeWorker() });
    expect([again.cached, jobsSeen]).toEqual([5, ['ds/test/blue/crash.mp4']]);
  });

});
