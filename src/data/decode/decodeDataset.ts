/**
 * Decodes a planned dataset on the page: cached clips are read from IndexedDB, the others are decoded by the worker
 * pool and cached; progress (clips/s, ETA) is reported as it goes; Cancel (an AbortSignal) stops the workers.
 * Clips that cannot be used are listed with the file and the reason, and the rest make the Dataset.
 */
import { PRESET_SIZES, type PresetName } from '../../core/config';
import { buildDecodedDataset, tensorsMismatch, type DecodedClip, type QuantizedClipStore } from '../decodedDataset';
import type { DatasetPlan, PlannedClip } from '../layouts';
import type { Dataset } from '../../core/dataset';
import { clipCacheKey, type DecodeSettings } from './cacheKey';
import type { CachedClip, ClipCache } from './clipCache';
import type { DroppedFile } from './fileEntries';
import type { DecodeJob, DecodeResult, JobFile } from './messages';
import { DecodePool, defaultPoolSize, type WorkerLike } from './pool';
import { clipMainPath } from './verdicts';
import { pairLabel, samePair, type ModalityPair } from '../../core/modalities';

export interface DecodeProgress {
  total: number;
  /** Clips finished (decoded, from the cache, or failed). */
  done: number;
  decoded: number;
  cached: number;
  failed: number;
  /** Decoding rate so far (cache hits excluded); null until the first clip is decoded. */
  clipsPerSecond: number | null;
  /** Seconds left at that rate; null while unknown. */
  etaSeconds: number | null;
}

export interface ClipProblem {
  clipId: string;
  /** The file at fault. */
  path: string;
  reason: string;
}

export type DecodedDataset = Dataset & { train: QuantizedClipStore; test: QuantizedClipStore };

export interface DecodeOutcome {
  /** Null when cancelled, or when the usable clips do not make a train and a test split. */
  dataset: DecodedDataset | null;
  clips: DecodedClip[];
  failures: ClipProblem[];
  /** Clips that are used but may be damaged, one entry per warning (the clip's main file and the reason). */
  clipWarnings: ClipProblem[];
  cancelled: boolean;
  decoded: number;
  cached: number;
  seconds: number;
  /** How many clips each decoder path produced, e.g. { 'ffmpeg+webcodecs': 12 }. */
  decoders: Record<string, number>;
  warnings: string[];
  settings: DecodeSettings;
  /** The two branches the clips were decoded for. */
  modalities: ModalityPair;
}

export interface DecodeRunOptions {
  preset: PresetName;
  /** Cap on the 1 fps frames kept per clip. */
  maxFrames: number;
  /** Dataset name shown in the lab. */
  name: string;
  /** The pair to decode, one of the plan's `pairs` (default: its first). */
  modalities?: ModalityPair;
  /** Null: no cache. IndexedDB in the page (ClipCache), a folder on disk in the CLI. */
  cache: Pick<ClipCache, 'getMany' | 'putMany'> | null;
  poolSize?: number;
  createWorker?: () => WorkerLike;
  signal?: AbortSignal;
  onProgress?: (p: DecodeProgress) => void;
  now?: () => number;
}

/** The decode worker (a separate module per pool slot). */
export function createDecodeWorker(): WorkerLike {
  return new Worker(new URL('../../worker/decode.worker.ts', import.meta.url), { type: 'module', name: 'decode' }) as unknown as WorkerLike;
}

function jobFile(f: DroppedFile | undefined): JobFile | undefined {
  return f ? { file: f.file, path: f.path } : undefined;
}

function jobFiles(list: DroppedFile[] | undefined): JobFile[] | undefined {
  return list?.map((f) => ({ file: f.file, path: f.path }));
}

/** The worker job of a planned clip. */
export function jobForClip(clip: PlannedClip<DroppedFile>, id: number, s: DecodeSettings, modalities: ModalityPair): DecodeJob {
  return {
    id,
    clipId: clip.id,
    modalities,
    video: jobFile(clip.video),
    audio: jobFile(clip.audio),
    frames: jobFiles(clip.frames),
    flowU: jobFiles(clip.flowU),
    flowV: jobFiles(clip.flowV),
    frameSize: s.frameSize,
    audioHeight: s.audioHeight,
    audioWidth: s.audioWidth,
    maxFrames: s.maxFrames,
  };
}

/** The decode settings of a preset. */
export function settingsFor(preset: PresetName, maxFrames: number): DecodeSettings {
  const p = PRESET_SIZES[preset];
  return { preset, audioHeight: p.audioHeight, audioWidth: p.audioWidth, frameSize: p.visualSize, maxFrames };
}

const CACHE_READ_CHUNK = 200;
const CACHE_WRITE_BATCH = 16;

/** Decodes every planned clip (cache first), then builds the Dataset from those that worked. */
export async function decodePlan(plan: DatasetPlan<DroppedFile>, opts: DecodeRunOptions): Promise<DecodeOutcome> {
  const now = opts.now ?? (() => performance.now());
  const t0 = now();
  const settings = settingsFor(opts.preset, opts.maxFrames);
  const modalities = opts.modalities ?? plan.pairs[0];
  if (!plan.pairs.some((p) => samePair(p, modalities))) {
    throw new Error(`this ${plan.layout} dataset cannot give ${pairLabel(modalities)}; it gives ${plan.pairs.map(pairLabel).join(', ')}`);
  }
  const shape = { name: opts.name, classNames: plan.classNames, modalities, audioHeight: settings.audioHeight, audioWidth: settings.audioWidth, frameSize: settings.frameSize };
  const clips = plan.clips;
  const keys = clips.map((c) => clipCacheKey(c, settings, modalities));
  const results: Array<DecodedClip | null> = clips.map(() => null);
  const failures: Array<ClipProblem | null> = clips.map(() => null);
  const clipWarnings: Array<ClipProblem[] | null> = clips.map(() => null);
  let invalidCached = 0;
  const decoders: Record<string, number> = {};
  const warnings: string[] = [];
  const progress: DecodeProgress = { total: clips.length, done: 0, decoded: 0, cached: 0, failed: 0, clipsPerSecond: null, etaSeconds: null };
  let decodeStart: number | null = null;
  let failedFromCache = 0;
  const report = () => {
    if (decodeStart !== null && progress.decoded + progress.failed > 0) {
      const elapsed = Math.max(1e-3, (now() - decodeStart) / 1000);
      const finished = progress.decoded + (progress.failed - failedFromCache);
      progress.clipsPerSecond = finished / elapsed;
      progress.etaSeconds = progress.clipsPerSecond > 0 ? (progress.total - progress.done) / progress.clipsPerSecond : null;
    }
    opts.onProgress?.({ ...progress });
  };
  const cancelled = () => opts.signal?.aborted === true;

  /** Takes a decoded or cached entry; false for a cached entry whose tensors do not fit (it is decoded again). */
  const accept = (i: number, entry: CachedClip, fromCache: boolean): boolean => {
    const clip = clips[i];
    if (entry.ok) {
      const mismatch = tensorsMismatch(entry, shape);
      if (mismatch && fromCache) {
        invalidCached++;
        return false;
      }
      if (mismatch) {
        failures[i] = { clipId: clip.id, path: clipMainPath(clip), reason: `the decoder returned unusable tensors (${mismatch})` };
        progress.failed++;
      } else {
        results[i] = { id: clip.id, label: clip.label, split: clip.split, spectrogram: entry.spectrogram, frames: entry.frames };
        decoders[entry.decoder] = (decoders[entry.decoder] ?? 0) + 1;
        if (entry.warnings?.length) clipWarnings[i] = entry.warnings.map((reason) => ({ clipId: clip.id, path: clipMainPath(clip), reason }));
        if (fromCache) progress.cached++;
        else progress.decoded++;
      }
    } else {
      failures[i] = { clipId: clip.id, path: entry.path, reason: entry.reason };
      progress.failed++;
      if (fromCache) failedFromCache++;
    }
    progress.done++;
    return true;
  };

  // 1. The cache.
  const misses: number[] = [];
  if (opts.cache) {
    for (let start = 0; start < clips.length && !cancelled(); start += CACHE_READ_CHUNK) {
      const chunk = keys.slice(start, start + CACHE_READ_CHUNK);
      let found = new Map<string, CachedClip>();
      try {
        found = await opts.cache.getMany(chunk);
      } catch (err) {
        warnings.push(`could not read the decode cache: ${err instanceof Error ? err.message : String(err)}`);
        opts.cache = null;
      }
      chunk.forEach((key, j) => {
        const hit = found.get(key);
        if (!hit || !accept(start + j, hit, true)) misses.push(start + j);
      });
      report();
      if (!opts.cache) {
        for (let i = start + CACHE_READ_CHUNK; i < clips.length; i++) misses.push(i);
        break;
      }
    }
  } else {
    for (let i = 0; i < clips.length; i++) misses.push(i);
  }

  // 2. The workers.
  let pendingWrites: CachedClip[] = [];
  let writes: Promise<void> = Promise.resolve();
  const flush = () => {
    const cache = opts.cache;
    if (!cache || pendingWrites.length === 0) return;
    const batch = pendingWrites;
    pendingWrites = [];
    writes = writes.then(() =>
      cache.putMany(batch).catch((err: unknown) => {
        warnings.push(`could not store decoded clips in the cache (${err instanceof Error ? err.message : String(err)}); they will be decoded again next time`);
        opts.cache = null;
      }),
    );
  };
  if (misses.length > 0 && !cancelled()) {
    const pool = new DecodePool(opts.poolSize ?? defaultPoolSize(), opts.createWorker ?? createDecodeWorker);
    const onAbort = () => pool.terminate();
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    decodeStart = now();
    try {
      await Promise.all(
        misses.map(async (i) => {
          const r: DecodeResult = await pool.run(jobForClip(clips[i], i, settings, modalities));
          if (!r.ok && r.reason === 'cancelled') return;
          const entry: CachedClip = r.ok
            ? {
                key: keys[i],
                ok: true,
                spectrogram: r.spectrogram,
                frames: r.frames,
                decoder: r.decoder,
                ...(r.warnings?.length ? { warnings: r.warnings } : {}),
                storedAt: Date.now(),
              }
            : { key: keys[i], ok: false, path: r.path, reason: r.reason, storedAt: Date.now() };
          accept(i, entry, false);
          if (r.ok || r.inherent) {
            pendingWrites.push(entry);
            if (pendingWrites.length >= CACHE_WRITE_BATCH) flush();
          }
          report();
        }),
      );
    } finally {
      opts.signal?.removeEventListener('abort', onAbort);
      pool.terminate();
      flush();
      await writes;
    }
  }
  report();
  if (invalidCached > 0) warnings.push(`${invalidCached} cached clips did not fit their settings (an interrupted or damaged cache entry) and were decoded again`);

  const decodedClips = results.filter((c): c is DecodedClip => c !== null);
  const problems = failures.filter((f): f is ClipProblem => f !== null);
  const wasCancelled = cancelled();
  let dataset: DecodedDataset | null = null;
  if (!wasCancelled) {
    const counts = plan.classNames.map(() => ({ train: 0, test: 0 }));
    for (const c of decodedClips) counts[c.label][c.split]++;
    const lost = plan.classNames.filter((_, label) => counts[label].train === 0 && plan.clips.some((c) => c.label === label && c.split === 'train'));
    if (lost.length > 0) warnings.push(`after decoding, no training clips are left for: ${lost.join(', ')}`);
    const train = decodedClips.filter((c) => c.split === 'train').length;
    const test = decodedClips.length - train;
    if (train === 0 || test === 0) {
      warnings.push(`only ${train} training and ${test} test clips could be decoded; a dataset needs both`);
    } else {
      dataset = buildDecodedDataset({ ...shape, clips: decodedClips });
    }
  }
  return {
    dataset,
    clips: decodedClips,
    failures: problems,
    clipWarnings: clipWarnings.flatMap((w) => w ?? []),
    cancelled: wasCancelled,
    decoded: progress.decoded,
    cached: progress.cached,
    seconds: (now() - t0) / 1000,
    decoders,
    warnings,
    settings,
    modalities,
  };
}
