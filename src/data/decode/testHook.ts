/**
 * A summary of the last decode for end-to-end tests, exposed as `window.__bmmLab.decoded`, and what planning found
 * as `window.__bmmLab.plan`, only on a page opened with `?test=1` (see testHooksEnabled). Plain data only, so
 * `page.evaluate` can return it; the Dataset itself is not kept here (it may be hundreds of MB and must be free to go
 * once handed to the training worker).
 */
import type { Dataset } from '../../core/dataset';
import type { IgnoredFile, PlanSummary } from '../layouts';
import type { DecodeOutcome } from './decodeDataset';
import type { FileVerdict } from './verdicts';
import { hasSpectrogram, KIND_CHANNELS, type FrameKind } from '../../core/modalities';

export interface ClipCheck {
  id: string;
  label: number;
  split: 'train' | 'test';
  /** Frames of the second branch's kind (RGB or flow). */
  frameCount: number;
  /** Mean of each channel over the second branch's first frame (R, G, B or u, v). */
  frameMean: number[];
  /** With RGB + flow: the RGB frames' count and the channel means of the first one. */
  rgb?: { frameCount: number; frameMean: number[] };
  /** The spectrogram row (frequency bin at the stored height) with the highest mean value (-1 without a spectrogram). */
  peakRow: number;
  /** Min and max of the dequantized spectrogram. */
  audioRange: [number, number];
}

export interface DecodedSummary {
  name: string;
  classNames: string[];
  preset: string;
  train: number;
  test: number;
  audioHeight: number;
  audioWidth: number;
  frameSize: number;
  /** The two branches decoded, e.g. ["rgb", "flow"]. */
  modalities: string[];
  maxFrames: number;
  decoded: number;
  cached: number;
  cancelled: boolean;
  seconds: number;
  decoders: Record<string, number>;
  failures: Array<{ path: string; reason: string }>;
  /** Clips used with a warning, one entry per warning. */
  clipWarnings: Array<{ path: string; reason: string }>;
  /** What became of every dropped file. */
  verdicts: FileVerdict[];
  warnings: string[];
  /** Per clip checks (the first 200 clips of train, then test). */
  clips: ClipCheck[];
}

function frameMean(frame: Uint8Array, channels: number): number[] {
  const sums = new Array<number>(channels).fill(0);
  for (let p = 0; p < frame.length; p++) sums[p % channels] += frame[p];
  return sums.map((s) => Math.round((s / (frame.length / channels)) * 10) / 10);
}

function checksOf(dataset: Dataset, limit: number): ClipCheck[] {
  const out: ClipCheck[] = [];
  const H = dataset.audioHeight;
  const W = dataset.audioWidth;
  const spec = new Float32Array(H * W);
  for (const split of ['train', 'test'] as const) {
    const store = dataset[split];
    const ids = (store as { ids?: string[] }).ids;
    for (let i = 0; i < store.size && out.length < limit; i++) {
      const kind = dataset.modalities[1] as FrameKind;
      const audio = hasSpectrogram(dataset.modalities);
      if (audio) store.readAudio(i, spec, 0);
      let peakRow = audio ? 0 : -1;
      let best = -Infinity;
      let lo = Infinity;
      let hi = -Infinity;
      for (let y = 0; y < H; y++) {
        let s = 0;
        for (let x = 0; x < W; x++) {
          const v = spec[y * W + x];
          s += v;
          if (v < lo) lo = v;
          if (v > hi) hi = v;
        }
        if (s > best) {
          best = s;
          peakRow = y;
        }
      }
      out.push({
        id: ids?.[i] ?? `${split}-${i}`,
        label: store.labels[i],
        split,
        frameCount: store.frameCount(i, kind),
        frameMean: frameMean(store.readFrame(i, 0, kind), KIND_CHANNELS[kind]),
        ...(dataset.modalities[0] === 'rgb' ? { rgb: { frameCount: store.frameCount(i, 'rgb'), frameMean: frameMean(store.readFrame(i, 0, 'rgb'), 3) } } : {}),
        peakRow,
        audioRange: [lo, hi],
      });
    }
  }
  return out;
}

let enabled: boolean | undefined;

/** Whether this page was opened for testing (`?test=1` in its URL); read once, on the first call. */
export function testHooksEnabled(): boolean {
  enabled ??= typeof window !== 'undefined' && new URLSearchParams(window.location.search).get('test') === '1';
  return enabled;
}

/** The summary of a decode outcome; null, without reading the dataset, unless the page is open for testing. */
export function summarizeDecode(outcome: DecodeOutcome, name: string, classNames: string[], verdicts: FileVerdict[] = []): DecodedSummary | null {
  if (!testHooksEnabled()) return null;
  const d = outcome.dataset;
  return {
    name,
    classNames,
    preset: outcome.settings.preset,
    train: d?.train.size ?? 0,
    test: d?.test.size ?? 0,
    audioHeight: outcome.settings.audioHeight,
    audioWidth: outcome.settings.audioWidth,
    frameSize: outcome.settings.frameSize,
    modalities: [...outcome.modalities],
    maxFrames: outcome.settings.maxFrames,
    decoded: outcome.decoded,
    cached: outcome.cached,
    cancelled: outcome.cancelled,
    seconds: outcome.seconds,
    decoders: outcome.decoders,
    failures: outcome.failures.map((f) => ({ path: f.path, reason: f.reason })),
    clipWarnings: outcome.clipWarnings.map((f) => ({ path: f.path, reason: f.reason })),
    verdicts,
    warnings: outcome.warnings,
    clips: d ? checksOf(d, 200) : [],
  };
}

/** What planning found, as `window.__bmmLab.plan` holds it. */
export interface PlanHook {
  summary: PlanSummary;
  ignored: IgnoredFile[];
  warnings: string[];
}

/** Publishes the summary on `window.__bmmLab.decoded` (when testing; null is what summarizeDecode gives otherwise). */
export function exposeDecoded(summary: DecodedSummary | null): void {
  if (!summary || !testHooksEnabled()) return;
  (window.__bmmLab ??= {}).decoded = summary;
}

/** Publishes what planning found (before decoding) on `window.__bmmLab.plan`, when testing. */
export function exposePlan(summary: PlanSummary, ignored: IgnoredFile[], warnings: string[]): void {
  if (!testHooksEnabled()) return;
  (window.__bmmLab ??= {}).plan = { summary, ignored, warnings };
}
