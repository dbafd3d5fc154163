/**
 * The dataset panel's plan part: what was found (layout, classes, clips per split, ignored files with reasons,
 * warnings), the pair of modalities to train (where the data gives several), the frame cap with its memory
 * estimate, and Decode / Cancel.
 */
import type { PresetName } from '../core/config';
import { pairLabel, pairName, samePair, type ModalityPair } from '../core/modalities';
import type { DroppedFile, UnreadableFile } from '../data/decode/fileEntries';
import { formatBytes } from '../data/decode/memory';
import type { DatasetPlan, PlanSummary } from '../data/layouts';
import { LAYOUT_NAMES, plural, presetHint, SPLIT_SOURCES } from './datasetPanelText';

const FRAME_CHOICES = [1, 2, 3, 5, 10];

export interface DatasetPlanViewProps {
  plan: DatasetPlan<DroppedFile>;
  summary: PlanSummary;
  unreadable: readonly UnreadableFile[];
  ignoredCount: number;
  preset: PresetName;
  maxFrames: number;
  /** The pair to decode and train (one of plan.pairs). */
  modalities: ModalityPair;
  /** Bytes of memory the decoded clips take at most. */
  estimate: number;
  /** Why the decoded dataset may not fit what the browser reports, and what would (null: it fits, or unknown). */
  memoryWarning?: string | null;
  decoding: boolean;
  onMaxFrames(n: number): void;
  onModalities(pair: ModalityPair): void;
  onDecode(): void;
  onCancel(): void;
}

export function DatasetPlanView(props: DatasetPlanViewProps) {
  const { plan, summary, unreadable, ignoredCount, preset, maxFrames, modalities, estimate, decoding } = props;
  return (
    <div className="dataset-found" data-testid="dataset-found">
      <p>
        Found <strong data-testid="dataset-layout">{LAYOUT_NAMES[plan.layout]}</strong>: {plan.classNames.length} classes,{' '}
        <span data-testid="dataset-counts">
          {summary.train} train / {summary.test} test clips
        </span>
        , split from {SPLIT_SOURCES[plan.splitSource]}; trains <strong data-testid="dataset-modalities">{pairLabel(modalities)}</strong>.
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
        {plan.pairs.length > 1 && (
          <label className="inline">
            Modalities
            <select
              data-testid="dataset-pair"
              value={pairName(modalities)}
              disabled={decoding}
              onChange={(e) => props.onModalities(plan.pairs.find((p) => pairName(p) === e.target.value)!)}
            >
              {plan.pairs.map((p) => (
                <option key={pairName(p)} value={pairName(p)}>
                  {pairLabel(p)}
                  {samePair(p, plan.pairs[0]) ? ' (default)' : ''}
                </option>
              ))}
            </select>
          </label>
        )}
        <label className="inline">
          Frames kept per clip
          <select value={maxFrames} disabled={decoding} onChange={(e) => props.onMaxFrames(Number(e.target.value))}>
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
      {presetHint(plan.layout, preset) && (
        <p className="hint" data-testid="preset-hint">
          {presetHint(plan.layout, preset)}
        </p>
      )}
      {props.memoryWarning && (
        <p className="hint warn" data-testid="memory-warning">
          May not fit: {props.memoryWarning}
        </p>
      )}
      <div className="buttons">
        <button type="button" className="primary" disabled={decoding || plan.clips.length === 0} onClick={props.onDecode}>
          Decode
        </button>
        {decoding && (
          <button type="button" className="danger" onClick={props.onCancel}>
            Cancel
          </button>
        )}
      </div>
    </div>
  );
}
