/**
 * "Bring your own data": drop dataset folders (or pick them with "Add dataset folder"), see what was found (layout,
 * classes, clips per split, every ignored file with its reason, warnings), then decode them locally in workers into
 * a Dataset the engine trains on like the demo. Nothing dropped is modified or uploaded; decoded clips are cached in
 * IndexedDB so the same folder loads in seconds next time.
 */
import { useCallback, useEffect, useMemo, useRef, useState, type DragEvent } from 'react';
import type { PresetName } from '../core/config';
import type { Dataset } from '../core/dataset';
import { ClipCache } from '../data/decode/clipCache';
import { decodePlan, type ClipProblem, type DecodeProgress } from '../data/decode/decodeDataset';
import {
  entriesFromDataTransfer,
  filesFromFileList,
  filesFromPlainFiles,
  mergeDropped,
  screenNames,
  walkEntries,
  type DroppedFile,
  type UnreadableFile,
} from '../data/decode/fileEntries';
import { clipBytes, DEFAULT_MAX_FRAMES, formatBytes, presetStoredSizes } from '../data/decode/memory';
import { exposeDecoded, exposePlan, summarizeDecode } from '../data/decode/testHook';
import { planDataset, summarizePlan, type DatasetLayout, type DatasetPlan } from '../data/layouts';
import { formatDuration } from './formatDuration';
import './datasetPanel.css';

export interface DatasetPanelProps {
  preset: PresetName;
  onDataset: (d: Dataset, info: { name: string; classNames: string[]; ignored: number }) => void;
  /** Decode workers (default: from navigator.hardwareConcurrency, 2-4). */
  poolSize?: number;
}

const LAYOUT_NAMES: Record<DatasetLayout, string> = {
  'crema-d': 'CREMA-D',
  'class-folders': 'class folders',
  'ucf-101': 'UCF-101',
  'frame-folders': 'frame folders',
};

const SPLIT_SOURCES = { files: 'split lists', folders: 'train/ and test/ folders', seeded: 'a seeded 90/10 split' } as const;

const FRAME_CHOICES = [1, 2, 3, 5, 10];

interface DoneState {
  preset: PresetName;
  maxFrames: number;
  decoded: number;
  cached: number;
  seconds: number;
  train: number;
  test: number;
  failures: ClipProblem[];
  warnings: string[];
  cancelled: boolean;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function rootFolders(files: readonly DroppedFile[]): string[] {
  return [...new Set(files.map((f) => (f.path.includes('/') ? f.path.slice(0, f.path.indexOf('/')) : f.path)))];
}

/** The cache, opened once per page; null when IndexedDB is unavailable. */
let cachePromise: Promise<ClipCache | null> | null = null;
function openCache(): Promise<ClipCache | null> {
  cachePromise ??= ClipCache.open().catch(() => null);
  return cachePromise;
}

export function DatasetPanel({ preset, onDataset, poolSize }: DatasetPanelProps) {
  const [files, setFiles] = useState<DroppedFile[]>([]);
  const [unreadable, setUnreadable] = useState<UnreadableFile[]>([]);
  const [reading, setReading] = useState<number | null>(null);
  const [plan, setPlan] = useState<DatasetPlan<DroppedFile> | null>(null);
  const [planError, setPlanError] = useState<string | null>(null);
  const [maxFrames, setMaxFrames] = useState(DEFAULT_MAX_FRAMES[preset]);
  const [progress, setProgress] = useState<DecodeProgress | null>(null);
  const [done, setDone] = useState<DoneState | null>(null);
  const [cacheNote, setCacheNote] = useState<string | null>(null);
  const [dragging, setDragging] = useState(false);
  const abortRef = useRef<AbortController | null>(null);
  const decoding = progress !== null;

  useEffect(() => setMaxFrames(DEFAULT_MAX_FRAMES[preset]), [preset]);

  const addFiles = useCallback((added: DroppedFile[], bad: UnreadableFile[] = []) => {
    const { usable, unreadable: badNames } = screenNames(added);
    setFiles((prev) => mergeDropped(prev, usable));
    setUnreadable((prev) => [...prev, ...bad, ...badNames]);
    setDone(null);
  }, []);

  // Plan whenever the dropped files change.
  useEffect(() => {
    if (files.length === 0) {
      setPlan(null);
      setPlanError(null);
      return;
    }
    let stale = false;
    const byPath = new Map(files.map((f) => [f.path, f]));
    const readText = async (path: string) => {
      const f = byPath.get(path);
      if (!f) throw new Error(`not among the dropped files: ${path}`);
      return f.file.text();
    };
    planDataset(files, readText).then(
      (p) => {
        if (stale) return;
        setPlan(p);
        setPlanError(null);
        exposePlan(summarizePlan(p), p.ignored, p.warnings);
      },
      (err: unknown) => {
        if (stale) return;
        setPlan(null);
        setPlanError(err instanceof Error ? err.message : String(err));
      },
    );
    return () => {
      stale = true;
    };
  }, [files]);

  const summary = useMemo(() => (plan ? summarizePlan(plan) : null), [plan]);
  const name = useMemo(() => rootFolders(files).join(' + ') || 'dropped dataset', [files]);

  const onDrop = useCallback(
    (e: DragEvent<HTMLDivElement>) => {
      e.preventDefault();
      setDragging(false);
      if (decoding) return;
      // The entries must be taken during the event; the walk is asynchronous.
      const { entries, files: loose } = entriesFromDataTransfer(e.dataTransfer);
      setReading(0);
      void walkEntries(entries, setReading).then(({ files: walked, unreadable: bad }) => {
        setReading(null);
        addFiles([...walked, ...filesFromPlainFiles(loose)], bad);
      });
    },
    [addFiles, decoding],
  );

  const clear = () => {
    setFiles([]);
    setUnreadable([]);
    setDone(null);
  };

  const decode = async () => {
    if (!plan || decoding) return;
    const controller = new AbortController();
    abortRef.current = controller;
    setDone(null);
    setProgress({ total: plan.clips.length, done: 0, decoded: 0, cached: 0, failed: 0, clipsPerSecond: null, etaSeconds: null });
    const cache = await openCache();
    setCacheNote(cache ? null : 'IndexedDB is not available: decoded clips are not cached');
    try {
      const outcome = await decodePlan(plan, { preset, maxFrames, name, cache, poolSize, signal: controller.signal, onProgress: setProgress });
      const d = outcome.dataset;
      setDone({
        preset,
        maxFrames,
        decoded: outcome.decoded,
        cached: outcome.cached,
        seconds: outcome.seconds,
        train: d?.train.size ?? 0,
        test: d?.test.size ?? 0,
        failures: outcome.failures,
        warnings: outcome.warnings,
        cancelled: outcome.cancelled,
      });
      exposeDecoded(summarizeDecode(outcome, name, plan.classNames));
      if (d) onDataset(d, { name, classNames: [...plan.classNames], ignored: plan.ignored.length + unreadable.length + outcome.failures.length });
    } catch (err) {
      setDone({
        preset,
        maxFrames,
        decoded: 0,
        cached: 0,
        seconds: 0,
        train: 0,
        test: 0,
        failures: [],
        warnings: [`decoding stopped: ${err instanceof Error ? err.message : String(err)}`],
        cancelled: false,
      });
    } finally {
      abortRef.current = null;
      setProgress(null);
    }
  };

  const clearCache = async () => {
    const cache = await openCache();
    if (!cache) return;
    await cache.clear();
    setCacheNote('decode cache cleared');
  };

  const frameChannels = plan?.secondModality === 'flow' ? 2 : 3;
  const estimate = plan ? plan.clips.length * clipBytes(presetStoredSizes(preset, frameChannels), maxFrames) : 0;
  const ignoredCount = (plan?.ignored.length ?? 0) + unreadable.length;

  return (
    <section className="dataset-panel" aria-label="Your dataset">
      <div
        className={`drop-zone${dragging ? ' dragging' : ''}`}
        onDragOver={(e) => {
          e.preventDefault();
          e.dataTransfer.dropEffect = 'copy';
          setDragging(true);
        }}
        onDragLeave={() => setDragging(false)}
        onDrop={onDrop}
        data-testid="dataset-drop-zone"
      >
        <p>Drop dataset folders here (CREMA-D, class folders, UCF-101, frame folders), or</p>
        <label className="file-button">
          Add dataset folder
          <input
            type="file"
            multiple
            aria-label="Add dataset folder"
            disabled={decoding}
            ref={(el) => el?.setAttribute('webkitdirectory', '')}
            onChange={(e) => {
              if (e.target.files) addFiles(filesFromFileList(e.target.files));
              e.target.value = '';
            }}
          />
        </label>
        <p className="hint">Files stay on this computer: they are only read, never changed or uploaded.</p>
      </div>

      {reading !== null && <p className="hint">Reading folders… {reading} files</p>}
      {files.length > 0 && (
        <p className="hint">
          {plural(files.length, 'file')} from {rootFolders(files).join(', ')}{' '}
          <button type="button" className="link" onClick={clear} disabled={decoding}>
            Clear
          </button>
        </p>
      )}
      {planError && (
        <p className="hint warn" role="alert">
          {planError}
        </p>
      )}

      {plan && summary && (
        <div className="dataset-found" data-testid="dataset-found">
          <p>
            Found <strong data-testid="dataset-layout">{LAYOUT_NAMES[plan.layout]}</strong>: {plan.classNames.length} classes,{' '}
            <span data-testid="dataset-counts">
              {summary.train} train / {summary.test} test clips
            </span>
            , split from {SPLIT_SOURCES[plan.splitSource]}, {plan.secondModality === 'flow' ? 'audio + optical flow' : 'audio + RGB'}.
          </p>
          <table className="dataset-classes">
            <thead>
              <tr>
                <th>class</th>
                <th>train</th>
                <th>test</th>
              </tr>
            </thead>
            <tbody>
              {summary.classes.map((c) => (
                <tr key={c.label}>
                  <td>{c.name}</td>
                  <td>{c.train}</td>
                  <td>{c.test}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {ignoredCount > 0 && (
            <details className="dataset-list" data-testid="dataset-ignored">
              <summary>{plural(ignoredCount, 'file')} ignored</summary>
              <ul>
                {unreadable.map((u) => (
                  <li key={`u:${u.path}`}>
                    <code>{u.path}</code>: {u.reason}
                  </li>
                ))}
                {plan.ignored.map((i) => (
                  <li key={`i:${i.path}`}>
                    <code>{i.path}</code>: {i.reason}
                  </li>
                ))}
              </ul>
            </details>
          )}
          {plan.warnings.length > 0 && (
            <ul className="dataset-warnings" data-testid="dataset-warnings">
              {plan.warnings.map((w) => (
                <li key={w}>{w}</li>
              ))}
            </ul>
          )}
          <div className="dataset-options">
            <label className="inline">
              Frames kept per clip
              <select value={maxFrames} disabled={decoding} onChange={(e) => setMaxFrames(Number(e.target.value))}>
                {FRAME_CHOICES.map((n) => (
                  <option key={n} value={n}>
                    {n}
                  </option>
                ))}
              </select>
            </label>
            <span className="hint">
              at most {formatBytes(estimate)} in memory ({preset} preset)
            </span>
          </div>
          <div className="buttons">
            <button type="button" className="primary" disabled={decoding || plan.clips.length === 0} onClick={() => void decode()}>
              Decode
            </button>
            {decoding && (
              <button type="button" className="danger" onClick={() => abortRef.current?.abort()}>
                Cancel
              </button>
            )}
          </div>
        </div>
      )}

      {progress && (
        <div className="progress decode-progress" aria-label="Decoding progress">
          <div className="progress-track" role="progressbar" aria-valuemin={0} aria-valuemax={progress.total} aria-valuenow={progress.done}>
            <div className="progress-fill" style={{ width: `${progress.total ? (100 * progress.done) / progress.total : 0}%` }} />
          </div>
          <p className="hint" data-testid="decode-progress">
            {progress.done} / {progress.total} clips · {progress.clipsPerSecond !== null ? progress.clipsPerSecond.toFixed(1) : '–'} clips/s · ETA{' '}
            {formatDuration(progress.etaSeconds)}
            {progress.cached > 0 && ` · ${progress.cached} cached`}
            {progress.failed > 0 && ` · ${progress.failed} failed`}
          </p>
        </div>
      )}

      {done && (
        <div className="dataset-done" data-testid="decode-done">
          <p>
            {done.cancelled
              ? `Cancelled after ${done.decoded + done.cached} clips; decoded clips are cached.`
              : `Ready: ${done.train} train / ${done.test} test clips (${done.decoded} decoded, ${done.cached} from cache) in ${formatDuration(done.seconds)}.`}
          </p>
          {done.preset !== preset && <p className="hint warn">Decoded for the {done.preset} preset; decode again for {preset}.</p>}
          {done.failures.length > 0 && (
            <details className="dataset-list" open data-testid="decode-failures">
              <summary>{plural(done.failures.length, 'clip')} could not be used</summary>
              <ul>
                {done.failures.map((f) => (
                  <li key={f.clipId}>
                    <code>{f.path}</code>: {f.reason}
                  </li>
                ))}
              </ul>
            </details>
          )}
          {done.warnings.length > 0 && (
            <ul className="dataset-warnings">
              {done.warnings.map((w) => (
                <li key={w}>{w}</li>
              ))}
            </ul>
          )}
        </div>
      )}
      {cacheNote && <p className="hint">{cacheNote}</p>}
      <p className="hint">
        <button type="button" className="link" onClick={() => void clearCache()} disabled={decoding}>
          Clear decode cache
        </button>
      </p>
    </section>
  );
}
