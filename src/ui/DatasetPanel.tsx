/**
 * "Bring your own data": drop dataset folders (or pick them with "Add dataset folder"), see what was found (layout,
 * classes, clips per split, every ignored file with its reason, warnings), then decode them locally in workers into
 * a Dataset the engine trains on like the demo. Nothing dropped is modified or uploaded; decoded clips are cached in
 * IndexedDB so the same folder loads in seconds next time. The state lives in DatasetPanelController; this
 * component wires it to the drop, plan and decode parts.
 */
import { useEffect, useMemo, useState, useSyncExternalStore } from 'react';
import type { PresetName } from '../core/config';
import type { Dataset } from '../core/dataset';
import { ClipCache } from '../data/decode/clipCache';
import { decodePlan } from '../data/decode/decodeDataset';
import { memoryWarning, type MemoryBudget } from '../data/decode/memory';
import { exposeDecoded, exposePlan, summarizeDecode } from '../data/decode/testHook';
import {
  DatasetPanelController,
  ignoredCount,
  isDecoding,
  memoryEstimate,
  rootFolders,
  type DatasetInfo,
  type DatasetPanelDeps,
} from './datasetPanelController';
import { DecodeCache, DecodeDoneView, DecodeProgressView } from './datasetPanelDecode';
import { DatasetDropZone, DroppedFiles } from './datasetPanelDrop';
import { DatasetPlanView } from './datasetPanelPlan';
import { downloadTarget, pickFolderTarget } from './packExport';
import './datasetPanel.css';

export interface DatasetPanelProps {
  preset: PresetName;
  /** Frames per clip of an exported pack (the config's T). */
  frames: number;
  /** Saves a file as a download (the lab's download). */
  download(filename: string, data: Blob): void;
  onDataset: (d: Dataset, info: DatasetInfo) => void;
  /** Decode workers (default: from navigator.hardwareConcurrency, 2-4). */
  poolSize?: number;
}

/** The cache, opened once per page; null when IndexedDB is unavailable. */
let cachePromise: Promise<ClipCache | null> | null = null;
function openCache(): Promise<ClipCache | null> {
  cachePromise ??= ClipCache.open().catch(() => null);
  return cachePromise;
}

/** What the browser reports of its memory and free storage (either may be unknown). */
async function readMemoryBudget(): Promise<MemoryBudget> {
  const nav = navigator as Navigator & { deviceMemory?: number };
  const gb = typeof nav.deviceMemory === 'number' && nav.deviceMemory > 0 ? nav.deviceMemory : null;
  let free: number | null = null;
  try {
    const e = await nav.storage?.estimate?.();
    if (e && typeof e.quota === 'number') free = Math.max(0, e.quota - (e.usage ?? 0));
  } catch {
    free = null;
  }
  return { deviceMemoryBytes: gb === null ? null : gb * 1e9, storageFreeBytes: free };
}

export function DatasetPanel({ preset, frames, download, onDataset, poolSize }: DatasetPanelProps) {
  const deps = useMemo<DatasetPanelDeps>(
    () => ({
      decodePlan,
      openCache,
      onDataset,
      poolSize,
      onPlanned: (plan, summary) => exposePlan(summary, plan.ignored, plan.warnings),
      onDecoded: (outcome, name, classNames, verdicts) => exposeDecoded(summarizeDecode(outcome, name, classNames, verdicts)),
    }),
    [onDataset, poolSize],
  );
  const [controller] = useState(() => new DatasetPanelController(deps, preset));
  useEffect(() => controller.configure(deps, preset), [controller, deps, preset]);
  const s = useSyncExternalStore(controller.subscribe, controller.getState, controller.getState);
  const decoding = isDecoding(s);
  const [budget, setBudget] = useState<MemoryBudget>({ deviceMemoryBytes: null, storageFreeBytes: null });
  // Storage changes as clips are cached: read again for each new plan.
  useEffect(() => void readMemoryBudget().then(setBudget), [s.plan]);
  const memoryNote = s.plan ? memoryWarning(s.plan.clips.length, s.preset, s.maxFrames, s.modalities ?? s.plan.pairs[0], budget) : null;

  return (
    <section className="dataset-panel" aria-label="Your dataset">
      <DatasetDropZone
        disabled={decoding}
        onDrop={(entries, loose) => void controller.drop(entries, loose)}
        onPick={(files) => controller.addFiles(files)}
      />
      <DroppedFiles
        reading={s.reading}
        fileCount={s.files.length}
        folders={rootFolders(s.files)}
        planError={s.planError}
        disabled={decoding}
        onClear={() => controller.clear()}
      />
      {s.plan && s.summary && (
        <DatasetPlanView
          plan={s.plan}
          summary={s.summary}
          unreadable={s.unreadable}
          ignoredCount={ignoredCount(s)}
          preset={s.preset}
          maxFrames={s.maxFrames}
          modalities={s.modalities ?? s.plan.pairs[0]}
          estimate={memoryEstimate(s)}
          memoryWarning={memoryNote}
          decoding={decoding}
          onMaxFrames={(n) => controller.setMaxFrames(n)}
          onModalities={(pair) => controller.setModalities(pair)}
          onDecode={() => void controller.decode()}
          onCancel={() => controller.cancel()}
        />
      )}
      {s.progress && <DecodeProgressView progress={s.progress} />}
      {s.done && <DecodeDoneView done={s.done} preset={s.preset} />}
      {(controller.canExport() || s.exporting !== null || s.exportNote) && (
        <div className="dataset-export">
          <button
            type="button"
            disabled={!controller.canExport()}
            title="Write the decoded clips as a dataset pack (pack.json + safetensors shards) for bmm-lab train --data and python -m bmm_lab.train"
            onClick={() => void controller.exportPack(frames, { pick: () => pickFolderTarget(), download: downloadTarget(download) })}
          >
            Export dataset
          </button>
          {s.exporting !== null && <span className="hint"> writing file {s.exporting + 1}…</span>}
          {s.exportNote && <p className={s.exportNote.ok ? 'hint' : 'hint warn'}>{s.exportNote.text}</p>}
        </div>
      )}
      <DecodeCache note={s.cacheNote} disabled={decoding} onClear={() => void controller.clearCache()} />
    </section>
  );
}
