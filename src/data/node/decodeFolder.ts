/**
 * A dataset folder decoded in Node exactly as the page decodes a dropped one: the same layout planner
 * (src/data/layouts), the same decodePlan (cache, pool, progress, failures, Dataset) and the same decodeClip
 * (frame selection, spectrogram, messages for broken clips), run by in-process "workers" that call the system
 * ffmpeg (several processes at once) or, without one, ffmpeg.wasm (one clip at a time). The cache is a folder on disk
 * (diskCache.ts). Node only.
 */
import { cpus } from 'node:os';
import { join, resolve } from 'node:path';
import type { PresetName } from '../../core/config';
import { decodeJobResult, type DecodeClipOptions, type FfmpegExec } from '../decode/decodeClip';
import { decodePlan, type DecodeOutcome, type DecodeProgress } from '../decode/decodeDataset';
import { screenNames, type DroppedFile, type UnreadableFile } from '../decode/fileEntries';
import { DEFAULT_MAX_FRAMES } from '../decode/memory';
import type { DecodeIn, DecodeOut } from '../decode/messages';
import type { WorkerLike } from '../decode/pool';
import { planDataset, type DatasetPlan } from '../layouts';
import { DiskClipCache } from './diskCache';
import { ffmpegImageReader } from './ffmpegImages';
import { listFolder, listedTextReader } from './folderFiles';
import { findSystemFfmpeg, NativeFfmpeg } from './nativeFfmpeg';
import { WasmFfmpeg } from './wasmFfmpeg';
import type { ModalityPair } from '../../core/modalities';

/** The cache folder inside a dataset folder when no other is given (hidden, so the planner would skip it anyway). */
export const CACHE_FOLDER_NAME = '.bmm-lab-cache';

export type DecoderChoice = 'auto' | 'ffmpeg' | 'wasm';

/** What decodes: the system ffmpeg (its version line) or ffmpeg.wasm. */
export type NodeDecoder = { kind: 'ffmpeg'; command: string; version: string } | { kind: 'wasm' };

export interface PlannedFolder {
  dir: string;
  plan: DatasetPlan<DroppedFile>;
  /** Files that could not be listed or read, and names the planner cannot match (as the page's list). */
  unreadable: UnreadableFile[];
}

export interface FolderDecodeOptions {
  preset: PresetName;
  /** Cap on the 1 fps frames kept per clip (default: the page's for the preset). */
  maxFrames?: number;
  /** Clips decoded at once with the system ffmpeg (default min(cores, 4)); ffmpeg.wasm decodes one at a time. */
  jobs?: number;
  decoder?: DecoderChoice;
  /** The cache folder; undefined: DIR/.bmm-lab-cache; null: no cache. */
  cacheDir?: string | null;
  /** The pair of modalities to decode (default: the plan's first). */
  modalities?: ModalityPair;
  onProgress?: (p: DecodeProgress) => void;
  signal?: AbortSignal;
  /** Wraps each worker's ffmpeg (tests count the runs). */
  wrapFfmpeg?: (ffmpeg: FfmpegExec) => FfmpegExec;
}

export interface FolderDecode extends PlannedFolder {
  outcome: DecodeOutcome;
  decoder: NodeDecoder;
  jobs: number;
  cacheDir: string | null;
  /** Why the cache is off, when it was asked for but could not be used. */
  cacheProblem: string | null;
}

/** min(cores, 4): each ffmpeg process also uses a few threads of its own. */
export function defaultJobs(): number {
  return Math.max(1, Math.min(cpus().length, 4));
}

/** Lists and plans a folder as the page plans a dropped one; throws the planner's DatasetLayoutError. */
export async function planFolder(dir: string, cacheDir: string | null = join(dir, CACHE_FOLDER_NAME)): Promise<PlannedFolder> {
  const listing = await listFolder(dir, cacheDir ? [cacheDir] : []);
  const { usable, unreadable } = screenNames(listing.files);
  const plan = await planDataset(usable, listedTextReader(listing));
  return { dir, plan, unreadable: [...listing.unreadable, ...unreadable] };
}

/** The decoder `choice` resolves to here; throws when `ffmpeg` is asked for and there is none. */
export function resolveDecoder(choice: DecoderChoice = 'auto'): NodeDecoder {
  if (choice === 'wasm') return { kind: 'wasm' };
  const found = findSystemFfmpeg();
  if (found) return { kind: 'ffmpeg', ...found };
  if (choice === 'ffmpeg') throw new Error(`no ffmpeg found on PATH (${process.env.FFMPEG ?? 'ffmpeg'}); install it, or use --decoder wasm`);
  return { kind: 'wasm' };
}

/** decodeClip's options in Node: no WebCodecs to try, images read by the same ffmpeg. */
export function nodeDecodeOptions(ffmpeg: FfmpegExec): DecodeClipOptions {
  return { webcodecs: false, readImage: ffmpegImageReader(ffmpeg) };
}

/** A decode "worker" in this process: decodeClip with its own ffmpeg, one job after the other. */
class InProcessWorker implements WorkerLike {
  onmessage: ((e: MessageEvent<DecodeOut>) => void) | null = null;
  onerror: ((e: ErrorEvent) => void) | null = null;
  private queue: Promise<void> = Promise.resolve();
  private stopped = false;
  private readonly options: DecodeClipOptions;

  constructor(
    private readonly ffmpeg: FfmpegExec,
    private readonly stop: () => void,
  ) {
    this.options = nodeDecodeOptions(ffmpeg);
  }

  postMessage(message: DecodeIn): void {
    this.queue = this.queue.then(async () => {
      if (this.stopped) return;
      const result = await decodeJobResult(message.job, this.ffmpeg, this.options);
      if (!this.stopped) this.onmessage?.({ data: result } as MessageEvent<DecodeOut>);
    });
  }

  terminate(): void {
    this.stopped = true;
    this.stop();
  }
}

/** Decodes a planned folder (cache first) into the Dataset the lab trains on. */
export async function decodePlannedFolder(planned: PlannedFolder, options: FolderDecodeOptions): Promise<FolderDecode> {
  const cacheDir = options.cacheDir === undefined ? join(planned.dir, CACHE_FOLDER_NAME) : options.cacheDir;
  const decoder = resolveDecoder(options.decoder);
  const jobs = decoder.kind === 'wasm' ? 1 : Math.max(1, options.jobs ?? defaultJobs());
  let cache: DiskClipCache | null = null;
  let cacheProblem: string | null = null;
  if (cacheDir !== null) {
    try {
      cache = await DiskClipCache.open(cacheDir);
    } catch (err) {
      cacheProblem = `the decode cache ${cacheDir} cannot be used (${err instanceof Error ? err.message : String(err)}); clips are decoded without it (--cache DIR puts it elsewhere)`;
    }
  }
  const wrap = options.wrapFfmpeg ?? ((f: FfmpegExec) => f);
  const createWorker = (): WorkerLike => {
    if (decoder.kind === 'ffmpeg') {
      const native = new NativeFfmpeg(decoder.command);
      return new InProcessWorker(wrap(native), () => native.kill());
    }
    return new InProcessWorker(wrap(new WasmFfmpeg()), () => {});
  };
  const outcome = await decodePlan(planned.plan, {
    preset: options.preset,
    maxFrames: options.maxFrames ?? DEFAULT_MAX_FRAMES[options.preset],
    modalities: options.modalities,
    name: resolve(planned.dir).split(/[\\/]/).pop() ?? planned.dir,
    cache,
    poolSize: jobs,
    createWorker,
    signal: options.signal,
    onProgress: options.onProgress,
  });
  return { ...planned, outcome, decoder, jobs, cacheDir: cache ? cacheDir : null, cacheProblem };
}

/** Plans the folder, then decodes it: what `bmm-lab train --data FOLDER` trains on. */
export async function decodeFolder(dir: string, options: FolderDecodeOptions): Promise<FolderDecode> {
  const cacheDir = options.cacheDir === undefined ? join(dir, CACHE_FOLDER_NAME) : options.cacheDir;
  return decodePlannedFolder(await planFolder(dir, cacheDir), options);
}
