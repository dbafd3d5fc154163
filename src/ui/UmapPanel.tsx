/**
 * UMAP maps of the first branch's, the second branch's and the fused features of one run, each branch's map titled
 * by its kind under the run's pair ("RGB z_a", "Flow z_v"), coloured by class (filled = train clip, ring = test
 * clip), with a slider back through the epochs that have embeddings, and the coordinates of every epoch as CSV.
 * The embedding itself is computed in the UMAP worker; this only draws.
 */
import { branchName, type Branch } from '../core/modalities';
import { useEffect, useMemo, useRef, useState } from 'react';
import { useController, useLab } from './context';
import { classLabels } from './confusion';
import { umapCsvFile } from './exportMetrics';
import { classColor, colorOfRun } from './palette';
import { runModalities, runName } from './run';
import { selectStableRuns, viewedRunId, type LabState } from './store';
import { drawableCount, drawEmbedding, fitToBox, type Box } from './umapDraw';
import type { Embedding } from '../worker/protocol';

const SIZE = 300;
const BOX: Box = { width: SIZE, height: SIZE, pad: 10 };

/** `name`: what the features are in words ("RGB", "fused"); `title`: the map's caption. */
function UmapCanvas(props: { name: string; title: string; modality: Branch | 'fused'; embedding: Embedding; highlight: number | null }) {
  const { name, title, modality, embedding, highlight } = props;
  const canvas = useRef<HTMLCanvasElement>(null);
  const pixels = useMemo(() => fitToBox(embedding[modality], BOX), [embedding, modality]);
  const count = useMemo(() => drawableCount(pixels), [pixels]);
  useEffect(() => {
    const el = canvas.current;
    if (!el) return;
    const ratio = window.devicePixelRatio || 1;
    el.width = Math.round(SIZE * ratio);
    el.height = Math.round(SIZE * ratio);
    const ctx = el.getContext('2d');
    if (!ctx) return;
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    drawEmbedding(ctx, pixels, embedding.labels, embedding.split, BOX, highlight);
  }, [pixels, embedding, highlight]);
  return (
    <figure className="umap-map">
      <figcaption>{title}</figcaption>
      <canvas
        ref={canvas}
        data-modality={modality}
        data-epoch={embedding.epoch}
        data-points={count}
        style={{ width: SIZE, height: SIZE }}
        role="img"
        aria-label={`UMAP of ${name} features at epoch ${embedding.epoch}, ${count} clips`}
      />
    </figure>
  );
}

const selectViewed = (s: LabState) => viewedRunId(s);
const selectRuns = selectStableRuns;
const selectEmbeddings = (s: LabState) => s.embeddings;
const selectPending = (s: LabState) => s.umapPending;
const selectOrder = (s: LabState) => s.runOrder;

/** Picker of the run shown in the UMAP and confusion panels. */
export function RunPicker({ id }: { id: string }) {
  const controller = useController();
  const viewed = useLab(selectViewed);
  const runs = useLab(selectRuns);
  const order = useLab(selectOrder);
  if (order.length === 0) return null;
  return (
    <label className="inline" htmlFor={id}>
      Run
      {/* The run's colour, as in the charts and the runs table. */}
      {viewed && runs[viewed] && <span className="swatch" data-color={colorOfRun(runs[viewed])} style={{ background: colorOfRun(runs[viewed]) }} aria-hidden="true" />}
      <select id={id} value={viewed ?? ''} onChange={(e) => void controller.viewRun(e.target.value || null)}>
        {[...order].reverse().map((rid) => (
          <option key={rid} value={rid}>
            {runName(runs[rid])} · {new Date(runs[rid].createdAt).toLocaleString()}
          </option>
        ))}
      </select>
    </label>
  );
}

export function UmapPanel() {
  const controller = useController();
  const viewed = useLab(selectViewed);
  const runs = useLab(selectRuns);
  const embeddings = useLab(selectEmbeddings);
  const pending = useLab(selectPending);
  const run = viewed ? runs[viewed] : undefined;
  const forRun = viewed ? embeddings[viewed] : undefined;
  const epochs = useMemo(() => (forRun ? Object.keys(forRun).map(Number).sort((a, b) => a - b) : []), [forRun]);
  // null = follow the newest epoch as embeddings arrive; a number = the epoch the slider was moved to.
  const [picked, setPicked] = useState<{ runId: string | null; epoch: number } | null>(null);
  const [highlight, setHighlight] = useState<number | null>(null);
  // A run loaded from storage (e.g. after a reload) brings its maps from IndexedDB.
  useEffect(() => {
    if (viewed) void controller.ensureEmbeddings(viewed);
  }, [controller, viewed]);
  const pickedEpoch = picked && picked.runId === viewed && epochs.includes(picked.epoch) ? picked.epoch : null;
  const epoch = pickedEpoch ?? epochs[epochs.length - 1];
  const embedding = forRun && epoch !== undefined ? forRun[epoch] : undefined;
  const waiting = viewed ? (pending[viewed] ?? []) : [];
  const known = run?.classNames;
  const pair = run ? runModalities(run) : null;
  const [a, v] = pair ? [branchName(pair, 'audio'), branchName(pair, 'visual')] : ['first branch', 'second branch'];
  const names = useMemo(() => {
    let count = known?.length ?? 0;
    if (embedding) for (const label of embedding.labels) count = Math.max(count, label + 1);
    return classLabels(known ?? [], count);
  }, [known, embedding]);

  return (
    <section className="panel umap-panel" aria-label="UMAP of features">
      <header className="panel-header">
        <h2>Feature maps (UMAP)</h2>
        <RunPicker id="umap-run" />
        {epochs.length > 0 && (
          <label className="inline" htmlFor="umap-epoch">
            Epoch
            <input
              id="umap-epoch"
              type="range"
              min={0}
              max={epochs.length - 1}
              step={1}
              value={Math.max(0, epochs.indexOf(epoch))}
              onChange={(e) => {
                const index = Number(e.target.value);
                setPicked(index === epochs.length - 1 ? null : { runId: viewed, epoch: epochs[index] });
              }}
            />
            <span className="value">
              {epoch} {pickedEpoch === null && epochs.length > 1 ? '(latest)' : ''}
            </span>
          </label>
        )}
        {waiting.length > 0 && <span className="hint">Embedding epoch {waiting.join(', ')}…</span>}
        <button
          type="button"
          disabled={!run || !forRun || epochs.length === 0}
          title={`The ${a}, ${v} and fused coordinates of every clip, one row per clip and epoch (columns audio_*: ${a}, visual_*: ${v})`}
          onClick={() => {
            if (!run || !forRun) return;
            const file = umapCsvFile(run, forRun);
            controller.download(file.name, file.blob);
          }}
        >
          UMAP CSV{epochs.length > 1 ? ` (${epochs.length} epochs)` : ''}
        </button>
      </header>
      {embedding ? (
        <>
          <div className="umap-grid">
            <UmapCanvas name={a} title={`${a} z_a`} modality="audio" embedding={embedding} highlight={highlight} />
            <UmapCanvas name={v} title={`${v} z_v`} modality="visual" embedding={embedding} highlight={highlight} />
            <UmapCanvas name="fused" title="Fused" modality="fused" embedding={embedding} highlight={highlight} />
          </div>
          <ul className="class-legend" aria-label="Classes">
            {names.map((name, i) => (
              <li key={i}>
                <button
                  type="button"
                  className={`legend-item${highlight === i ? ' active' : ''}`}
                  aria-pressed={highlight === i}
                  onClick={() => setHighlight(highlight === i ? null : i)}
                >
                  <span className="swatch" style={{ background: classColor(i) }} />
                  {name}
                </button>
              </li>
            ))}
            <li className="marks">
              <span className="mark-filled" /> train <span className="mark-ring" /> test
            </li>
          </ul>
        </>
      ) : (
        <p className="hint">
          {run
            ? run.config.featuresEvery === 0
              ? 'This run collects no features (UMAP every N epochs = 0).'
              : 'Maps appear after the first epoch whose features are collected.'
            : 'Train a run to see the feature maps of its two branches and of the fused model.'}
        </p>
      )}
    </section>
  );
}
