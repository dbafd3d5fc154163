/**
 * The state of the dataset panel and its transitions, without React: files dropped (or picked) -> planning ->
 * the plan shown (or why none fits) -> decoding with progress -> ready, cancelled or failed. The panel renders
 * `getState()` and calls the methods; decoding and the cache come in as dependencies, so the whole flow runs in
 * Node tests.
 */
import type { PresetName } from '../core/config';
import type { Dataset } from '../core/dataset';
import type { ClipCache } from '../data/decode/clipCache';
import type { ClipProblem, DecodeOutcome, DecodeProgress, DecodeRunOptions } from '../data/decode/decodeDataset';
import {
  filesFromPlainFiles,
  mergeDropped,
  screenNames,
  walkEntries,
  type DroppedFile,
  type FsEntryLike,
  type UnreadableFile,
} from '../data/decode/fileEntries';
import { samePair, type ModalityPair } from '../core/modalities';
import { clipBytes, DEFAULT_MAX_FRAMES, presetStoredSizes } from '../data/decode/memory';
import { fileVerdicts, type FileVerdict } from '../data/decode/verdicts';
import { planDataset, summarizePlan, type DatasetPlan, type PlanSummary } from '../data/layouts';
import { exportPack, type PackTarget } from './packExport';

/** How a decode ended: the counts the panel shows, and the warnings or the error. */
export interface DecodeDone {
  /** 'ready': decodePlan finished (the dataset may still be unusable, the warnings say why). */
  outcome: 'ready' | 'cancelled' | 'failed';
  /** The preset and frame cap decoded for (the preset may have changed since). */
  preset: PresetName;
  maxFrames: number;
  decoded: number;
  cached: number;
  seconds: number;
  train: number;
  test: number;
  failures: ClipProblem[];
  /** Clips used with a warning (one entry per warning). */
  clipWarnings: ClipProblem[];
  /** What became of every dropped file (used, used with a warning, skipped), for the panel's list. */
  verdicts: FileVerdict[];
  warnings: string[];
  /** Why decoding stopped ('failed' only). */
  error: string | null;
}

export interface DatasetPanelState {
  preset: PresetName;
  /** Every usable dropped file so far (several drops add up). */
  files: readonly DroppedFile[];
  /** Files that could not be read or whose names cannot be matched, with the reason. */
  unreadable: readonly UnreadableFile[];
  /** Files found so far while a drop's folders are walked; null when no walk runs. */
  reading: number | null;
  /** A plan of the current files is being worked out (the previous one, if any, is still shown). */
  planning: boolean;
  plan: DatasetPlan<DroppedFile> | null;
  summary: PlanSummary | null;
  /** Why the files fit no layout. */
  planError: string | null;
  maxFrames: number;
  /** The pair of modalities to decode, one of the plan's `pairs` (its first unless the user picked another). */
  modalities: ModalityPair | null;
  /** Non-null exactly while decoding. */
  progress: DecodeProgress | null;
  done: DecodeDone | null;
  cacheNote: string | null;
  /** "Export dataset": files written so far while exporting (null otherwise), and how the last export ended. */
  exporting: number | null;
  exportNote: { ok: boolean; text: string } | null;
}

export interface DatasetInfo {
  name: string;
  classNames: string[];
  /** Files left out: ignored by the plan, unreadable, and clips that failed to decode. */
  ignored: number;
}

export interface DatasetPanelDeps {
  decodePlan(plan: DatasetPlan<DroppedFile>, opts: DecodeRunOptions): Promise<DecodeOutcome>;
  /** The decode cache; null when IndexedDB is unavailable. */
  openCache(): Promise<ClipCache | null>;
  /** A usable decoded dataset (not called on cancel, failure, or when the clips make no train and test split). */
  onDataset(dataset: Dataset, info: DatasetInfo): void;
  /** Each new plan, once shown. */
  onPlanned?(plan: DatasetPlan<DroppedFile>, summary: PlanSummary): void;
  /** Each finished (or cancelled) decode, once shown, with what became of every file. */
  onDecoded?(outcome: DecodeOutcome, name: string, classNames: string[], verdicts: FileVerdict[]): void;
  /** Decode workers (default: decodePlan's choice). */
  poolSize?: number;
}

/** The top-level folders (or loose file names) of the dropped files, in drop order. */
export function rootFolders(files: readonly DroppedFile[]): string[] {
  return [...new Set(files.map((f) => (f.path.includes('/') ? f.path.slice(0, f.path.indexOf('/')) : f.path)))];
}

/** The dataset's name in the lab: its root folders joined by ' + '. */
export function datasetName(files: readonly DroppedFile[]): string {
  return rootFolders(files).join(' + ') || 'dropped dataset';
}

export function isDecoding(s: DatasetPanelState): boolean {
  return s.progress !== null;
}

/** Files the plan ignored plus those that could not be read. */
export function ignoredCount(s: DatasetPanelState): number {
  return (s.plan?.ignored.length ?? 0) + s.unreadable.length;
}

/** Bytes the decoded clips take at most in memory at the preset's sizes and the frame cap. */
export function memoryEstimate(s: DatasetPanelState): number {
  if (!s.plan) return 0;
  return s.plan.clips.length * clipBytes(presetStoredSizes(s.preset, s.modalities ?? s.plan.pairs[0]), s.maxFrames);
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export class DatasetPanelController {
  private state: DatasetPanelState;
  private readonly listeners = new Set<() => void>();
  /** Counts planning runs, so that only the latest one's result is shown. */
  private planRun = 0;
  private abort: AbortController | null = null;
  /** The last decoded dataset (for "Export dataset"). */
  private decoded: { dataset: Dataset; name: string } | null = null;

  constructor(
    private deps: DatasetPanelDeps,
    preset: PresetName,
  ) {
    this.state = {
      preset,
      files: [],
      unreadable: [],
      reading: null,
      planning: false,
      plan: null,
      summary: null,
      planError: null,
      maxFrames: DEFAULT_MAX_FRAMES[preset],
      modalities: null,
      progress: null,
      done: null,
      cacheNote: null,
      exporting: null,
      exportNote: null,
    };
  }

  getState = (): DatasetPanelState => this.state;

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  private set(patch: Partial<DatasetPanelState>): void {
    this.state = { ...this.state, ...patch };
    for (const l of this.listeners) l();
  }

  /** New callbacks or pool size (the page's props); a new preset resets the frame cap to its default. */
  configure(deps: DatasetPanelDeps, preset: PresetName): void {
    this.deps = deps;
    if (preset !== this.state.preset) this.set({ preset, maxFrames: DEFAULT_MAX_FRAMES[preset] });
  }

  setMaxFrames(maxFrames: number): void {
    if (!isDecoding(this.state)) this.set({ maxFrames });
  }

  /** Picks which of the plan's pairs of modalities to decode (ignored while decoding or for a pair it cannot give). */
  setModalities(pair: ModalityPair): void {
    if (isDecoding(this.state) || !this.state.plan?.pairs.some((p) => samePair(p, pair))) return;
    this.set({ modalities: pair });
  }

  /** Adds picked or walked files (a path seen before is replaced) and plans them again. Ignored while decoding. */
  addFiles(added: readonly DroppedFile[], bad: readonly UnreadableFile[] = []): void {
    if (isDecoding(this.state)) return;
    const { usable, unreadable } = screenNames(added);
    this.set({
      files: mergeDropped(this.state.files, usable),
      unreadable: [...this.state.unreadable, ...bad, ...unreadable],
      done: null,
    });
    this.replan();
  }

  /** Walks dropped folders (counting files as it goes) and adds what it finds next to the loose files. */
  async drop(entries: readonly FsEntryLike[], loose: readonly File[]): Promise<void> {
    if (isDecoding(this.state)) return;
    this.set({ reading: 0 });
    const { files, unreadable } = await walkEntries(entries, (reading) => this.set({ reading }));
    this.set({ reading: null });
    this.addFiles([...files, ...filesFromPlainFiles(loose)], unreadable);
  }

  /** Forgets the dropped files, their plan and the last decode. */
  clear(): void {
    if (isDecoding(this.state)) return;
    this.decoded = null;
    this.set({ files: [], unreadable: [], done: null, exportNote: null });
    this.replan();
  }

  private replan(): void {
    const run = ++this.planRun;
    const files = this.state.files;
    if (files.length === 0) {
      this.set({ planning: false, plan: null, summary: null, planError: null, modalities: null });
      return;
    }
    this.set({ planning: true });
    const byPath = new Map(files.map((f) => [f.path, f]));
    const readText = async (path: string) => {
      const f = byPath.get(path);
      if (!f) throw new Error(`not among the dropped files: ${path}`);
      return f.file.text();
    };
    planDataset(files, readText).then(
      (plan) => {
        if (run !== this.planRun) return;
        const summary = summarizePlan(plan);
        // Keep the user's pick when the new plan can still give it.
        const kept = this.state.modalities;
        const modalities = kept && plan.pairs.some((p) => samePair(p, kept)) ? kept : plan.pairs[0];
        this.set({ planning: false, plan, summary, planError: null, modalities });
        this.deps.onPlanned?.(plan, summary);
      },
      (err: unknown) => {
        if (run !== this.planRun) return;
        this.set({ planning: false, plan: null, summary: null, planError: message(err) });
      },
    );
  }

  /** Decodes the shown plan at the preset and frame cap; the dataset goes to onDataset when it is usable. */
  async decode(): Promise<void> {
    const { plan, preset, maxFrames, files } = this.state;
    const modalities = this.state.modalities ?? plan?.pairs[0];
    if (!plan || isDecoding(this.state)) return;
    const abort = new AbortController();
    this.abort = abort;
    const name = datasetName(files);
    const unreadable = this.state.unreadable.length;
    this.set({ done: null, progress: { total: plan.clips.length, done: 0, decoded: 0, cached: 0, failed: 0, clipsPerSecond: null, etaSeconds: null } });
    const base = { preset, maxFrames, decoded: 0, cached: 0, seconds: 0, train: 0, test: 0, failures: [], clipWarnings: [], verdicts: [], warnings: [], error: null };
    try {
      const cache = await this.deps.openCache();
      this.set({ cacheNote: cache ? null : 'IndexedDB is not available: decoded clips are not cached' });
      const outcome = await this.deps.decodePlan(plan, {
        preset,
        maxFrames,
        modalities,
        name,
        cache,
        poolSize: this.deps.poolSize,
        signal: abort.signal,
        onProgress: (progress) => this.set({ progress }),
      });
      const d = outcome.dataset;
      const verdicts = fileVerdicts(plan, this.state.unreadable, outcome);
      this.set({
        progress: null,
        done: {
          ...base,
          outcome: outcome.cancelled ? 'cancelled' : 'ready',
          decoded: outcome.decoded,
          cached: outcome.cached,
          seconds: outcome.seconds,
          train: d?.train.size ?? 0,
          test: d?.test.size ?? 0,
          failures: outcome.failures,
          clipWarnings: outcome.clipWarnings,
          verdicts,
          warnings: outcome.warnings,
        },
      });
      this.deps.onDecoded?.(outcome, name, plan.classNames, verdicts);
      this.decoded = d ? { dataset: d, name } : null;
      if (d) this.deps.onDataset(d, { name, classNames: [...plan.classNames], ignored: plan.ignored.length + unreadable + outcome.failures.length });
    } catch (err) {
      this.set({ progress: null, done: { ...base, outcome: 'failed', error: message(err) } });
    } finally {
      this.abort = null;
    }
  }

  /** Whether a decoded dataset is there to export. */
  canExport(): boolean {
    return this.decoded !== null && this.state.exporting === null && !isDecoding(this.state);
  }

  /**
   * Writes the decoded dataset as a dataset pack with `frames` frames per clip (the model's T: the pack's frames
   * are its input as they are) to a picked folder, or as downloads where the browser cannot pick folders.
   */
  async exportPack(frames: number, targets: { pick(): Promise<PackTarget | null>; download: PackTarget }): Promise<void> {
    const decoded = this.decoded;
    if (!decoded || !this.canExport()) return;
    let target: PackTarget;
    try {
      target = (await targets.pick()) ?? targets.download;
    } catch (err) {
      // The user closed the folder picker: nothing to report.
      if (err instanceof DOMException && err.name === 'AbortError') return;
      this.set({ exportNote: { ok: false, text: `Export failed: ${message(err)}` } });
      return;
    }
    this.set({ exporting: 0, exportNote: null });
    try {
      const n = await exportPack(decoded.dataset, { frames }, target, (_name, i) => this.set({ exporting: i + 1 }));
      const clips = decoded.dataset.train.size + decoded.dataset.test.size;
      this.set({ exportNote: { ok: true, text: `Wrote "${decoded.name}" as a pack (${clips} clips, ${frames} frames each, ${n} files) ${target.describe}.` } });
    } catch (err) {
      this.set({ exportNote: { ok: false, text: `Export failed (${target.describe}): ${message(err)}; the pack is incomplete.` } });
    } finally {
      this.set({ exporting: null });
    }
  }

  /** Stops a running decode; what was decoded so far stays cached. */
  cancel(): void {
    this.abort?.abort();
  }

  /** Empties the decode cache (not while decoding). */
  async clearCache(): Promise<void> {
    if (isDecoding(this.state)) return;
    const cache = await this.deps.openCache();
    if (!cache) return;
    await cache.clear();
    this.set({ cacheNote: 'decode cache cleared' });
  }
}
