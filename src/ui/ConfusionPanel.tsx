/**
 * Confusion matrices (test set) of the fused output and of each branch's head alone (titled by the run's kinds:
 * "RGB", "Flow") of one run at a chosen epoch, as row-normalised heatmaps with counts, per-class accuracy and
 * overall accuracy.
 */
import { useState } from 'react';
import type { ConfusionMatrix } from '../core/events';
import { branchName } from '../core/modalities';
import { runModalities } from './run';
import { classLabels, overallAccuracy, perClassAccuracy, rowNormalised } from './confusion';
import { useLab } from './context';
import { formatPercent } from './progress';
import { selectStableRuns, viewedRunId, type LabState } from './store';
import { RunPicker } from './UmapPanel';

function MatrixTable({ title, matrix, classNames }: { title: string; matrix: ConfusionMatrix; classNames: string[] }) {
  const names = classLabels(classNames, matrix.length);
  const rates = rowNormalised(matrix);
  const perClass = perClassAccuracy(matrix);
  return (
    <figure className="confusion">
      <figcaption>
        {title} <span className="hint">overall {formatPercent(overallAccuracy(matrix))}</span>
      </figcaption>
      <table>
        <thead>
          <tr>
            <th scope="col" className="corner">
              true \ predicted
            </th>
            {names.map((n) => (
              <th key={n} scope="col" title={n}>
                {n}
              </th>
            ))}
            <th scope="col">accuracy</th>
          </tr>
        </thead>
        <tbody>
          {matrix.map((row, i) => (
            <tr key={i}>
              <th scope="row">{names[i]}</th>
              {row.map((count, j) => {
                const rate = rates[i][j];
                return (
                  <td
                    key={j}
                    className={i === j ? 'diag' : undefined}
                    style={{ background: `rgba(${i === j ? '22, 101, 52' : '185, 28, 28'}, ${(rate * 0.85).toFixed(3)})`, color: rate > 0.55 ? '#fff' : undefined }}
                    title={`${names[i]} → ${names[j]}: ${count} (${formatPercent(rate)})`}
                  >
                    {count}
                  </td>
                );
              })}
              <td className="acc">{formatPercent(perClass[i])}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </figure>
  );
}

const selectViewed = (s: LabState) => viewedRunId(s);
const selectRuns = selectStableRuns;

export function ConfusionPanel() {
  const viewed = useLab(selectViewed);
  const runs = useLab(selectRuns);
  const run = viewed ? runs[viewed] : undefined;
  const [picked, setPicked] = useState<{ runId: string; epoch: number } | null>(null);
  const epochs = run?.epochs ?? [];
  const chosen = picked && picked.runId === viewed ? epochs.find((m) => m.epoch === picked.epoch) : undefined;
  const metrics = chosen ?? epochs[epochs.length - 1];

  return (
    <section className="panel confusion-panel" aria-label="Confusion matrices">
      <header className="panel-header">
        <h2>Per-class accuracy and confusion (test set)</h2>
        <RunPicker id="confusion-run" />
        {epochs.length > 0 && metrics && (
          <label className="inline" htmlFor="confusion-epoch">
            Epoch
            <select
              id="confusion-epoch"
              value={metrics.epoch}
              onChange={(e) => {
                const epoch = Number(e.target.value);
                setPicked(viewed && epoch !== epochs[epochs.length - 1].epoch ? { runId: viewed, epoch } : null);
              }}
            >
              {epochs.map((m) => (
                <option key={m.epoch} value={m.epoch}>
                  {m.epoch}
                </option>
              ))}
            </select>
          </label>
        )}
      </header>
      {run && metrics && metrics.confusion.fused.length === 0 ? (
        <p className="hint">
          No confusion matrices are recorded for epoch {metrics.epoch} of this {run.source === 'pytorch' ? 'imported ' : ''}run
          {run.weightsStored ? '; press "Open weights" in the runs table to compute the final epoch’s on its dataset.' : '.'}
        </p>
      ) : run && metrics ? (
        <div className="confusion-grid">
          <MatrixTable title="Fused" matrix={metrics.confusion.fused} classNames={run.classNames} />
          <MatrixTable title={branchName(runModalities(run), 'audio')} matrix={metrics.confusion.audio} classNames={run.classNames} />
          <MatrixTable title={branchName(runModalities(run), 'visual')} matrix={metrics.confusion.visual} classNames={run.classNames} />
        </div>
      ) : (
        <p className="hint">Matrices appear after the first epoch.</p>
      )}
    </section>
  );
}
