/**
 * The left panel: run buttons and status, dataset, and every setting of the config (from the field table),
 * with `validateConfig`'s error shown beside the field it names.
 */
import { memo, useCallback, useId, useMemo, useState, type ReactNode } from 'react';
import { ConfigError, validateConfig, type TrainConfig } from '../core/config';
import { CONFIG_FIELDS, fieldByKey, type ConfigField, type FieldGroup, type NumberField } from './configFields';
import { useController, useLab } from './context';
import { exportStem, metricsToCsv, metricsToJson } from './exportMetrics';
import { statusText } from './statusText';
import { selectStableRuns, type LabState } from './store';

export interface ControlsProps {
  /**
   * Slot under the dataset picker for adding datasets (the "Add dataset folder" input). It should call
   * `controller.addDataset(entry)` with a decoded dataset.
   */
  addDatasetSlot?: ReactNode;
}

const GROUP_TITLES: Record<FieldGroup, string> = {
  model: 'Model',
  training: 'Training',
  mm: 'Mixup (MM)',
  bmm: 'B-MM',
  ogm: 'OGM-GE',
  inputs: 'Inputs and size',
};

/** Whether a group of settings matters for the config's method. */
function groupUsed(group: FieldGroup, config: TrainConfig): boolean {
  switch (group) {
    case 'mm':
      return config.method === 'mm' || (config.method === 'bmm' && config.bmm.sample === 'beta');
    case 'bmm':
      return config.method === 'bmm';
    case 'ogm':
      return config.method === 'ogm-ge';
    default:
      return true;
  }
}

function configError(config: TrainConfig, trainSize: number | undefined): ConfigError | null {
  try {
    validateConfig(config, trainSize);
    return null;
  } catch (err) {
    return err instanceof ConfigError ? err : new ConfigError('config', err instanceof Error ? err.message : String(err));
  }
}

function formatNumber(value: number): string {
  return Number.isFinite(value) ? String(value) : '';
}

function NumberInput(props: { id: string; field: NumberField; config: TrainConfig; disabled: boolean; describedBy?: string; onChange(config: TrainConfig): void }) {
  const { id, field, config, disabled, describedBy, onChange } = props;
  const value = field.get(config);
  // Local text so partial input ("1e-", "0.") survives re-renders; it follows outside changes (presets, URL).
  const [text, setText] = useState(formatNumber(value));
  const [shown, setShown] = useState(value);
  if (!Object.is(value, shown)) {
    setShown(value);
    const typed = text.trim() === '' ? Number.NaN : Number(text);
    if (!Object.is(typed, value)) setText(formatNumber(value));
  }
  return (
    <input
      id={id}
      type="number"
      inputMode="decimal"
      step={field.step ?? (field.integer ? 1 : 'any')}
      min={field.min}
      value={text}
      disabled={disabled}
      aria-invalid={describedBy ? true : undefined}
      aria-describedby={describedBy}
      onChange={(e) => {
        setText(e.target.value);
        const parsed = e.target.value.trim() === '' ? Number.NaN : Number(e.target.value);
        onChange(field.set(config, parsed));
      }}
    />
  );
}

function FieldRow(props: { field: ConfigField; config: TrainConfig; locked: boolean; error: ConfigError | null; onChange(c: TrainConfig): void }) {
  const { field, config, locked, error, onChange } = props;
  const base = useId();
  const id = `cfg-${field.key.replace('.', '-')}-${base.replace(/:/g, '')}`;
  const errorId = `${id}-error`;
  const showError = error !== null && error.field === field.key;
  const disabled = locked || (field.kind === 'number' && field.enabled !== undefined && !field.enabled(config));
  let input: ReactNode;
  switch (field.kind) {
    case 'enum':
      input = (
        <select id={id} value={field.get(config)} disabled={disabled} onChange={(e) => onChange(field.set(config, e.target.value))}>
          {field.options.map((o) => (
            <option key={o} value={o}>
              {field.optionLabels?.[o] ?? o}
            </option>
          ))}
        </select>
      );
      break;
    case 'number':
      input = <NumberInput id={id} field={field} config={config} disabled={disabled} describedBy={showError ? errorId : undefined} onChange={onChange} />;
      break;
    case 'bool':
      input = <input id={id} type="checkbox" checked={field.get(config)} disabled={disabled} onChange={(e) => onChange(field.set(config, e.target.checked))} />;
      break;
  }
  return (
    <div className={`field field-${field.kind}${showError ? ' field-invalid' : ''}`}>
      <label htmlFor={id} title={field.help}>
        {field.label}
      </label>
      {input}
      {showError && (
        <div className="field-error" id={errorId}>
          {error.message}
        </div>
      )}
    </div>
  );
}

/** Memoised: the form re-renders when the config, the lock or the error change, not with the run's progress. */
const ConfigGroup = memo(function ConfigGroup(props: { group: FieldGroup; config: TrainConfig; locked: boolean; error: ConfigError | null; onChange(c: TrainConfig): void }) {
  const fields = CONFIG_FIELDS.filter((f) => f.group === props.group);
  return (
    <fieldset className="config-group">
      <legend>{GROUP_TITLES[props.group]}</legend>
      <div className="fields">
        {fields.map((f) => (
          <FieldRow key={f.key} field={f} config={props.config} locked={props.locked} error={props.error} onChange={props.onChange} />
        ))}
      </div>
    </fieldset>
  );
});

/** The status line, a component of its own: it changes with every batch, the rest of the panel does not. */
function StatusLine() {
  const status = useLab(statusText);
  return (
    <p role="status" className="status-line">
      {status}
    </p>
  );
}

const selectSession = (s: LabState) => s.session;
const selectConfig = (s: LabState) => s.config;
const selectDatasets = (s: LabState) => s.datasets;
const selectDatasetId = (s: LabState) => s.datasetId;
const selectRuns = selectStableRuns;

export function Controls({ addDatasetSlot }: ControlsProps) {
  const controller = useController();
  const session = useLab(selectSession);
  const config = useLab(selectConfig);
  const datasets = useLab(selectDatasets);
  const datasetId = useLab(selectDatasetId);
  const runs = useLab(selectRuns);

  const trainSize = session.dataset && session.datasetId === datasetId ? session.dataset.trainSize : undefined;
  const error = useMemo(() => configError(config, trainSize), [config, trainSize]);
  const running = session.state === 'running';
  const paused = session.state === 'paused';
  const busy = running || paused;
  const locked = busy || session.state === 'loading';
  const run = session.runId ? runs[session.runId] : undefined;
  const hasModel = run !== undefined && (busy || session.state === 'stopped' || session.state === 'done');
  const canImport = ['idle', 'paused', 'stopped', 'done'].includes(session.state);
  const errorField = error ? fieldByKey(error.field) : undefined;
  const errorVisible = errorField !== undefined && groupUsed(errorField.group, config) && errorField.group !== 'inputs';
  const onChange = useCallback((c: TrainConfig) => controller.setConfig(c), [controller]);
  const dataset = datasets.find((d) => d.id === datasetId);

  return (
    <div className="controls">
      <section className="toolbar" aria-label="Training">
        <div className="buttons">
          <button type="button" className="primary" disabled={busy || error !== null || session.state === 'loading'} onClick={() => controller.train()}>
            Train
          </button>
          <button type="button" disabled={!running} onClick={() => controller.pause()}>
            Pause
          </button>
          <button type="button" disabled={!paused} onClick={() => controller.resume()}>
            Resume
          </button>
          <button type="button" disabled={!busy} onClick={() => controller.stop()}>
            Stop
          </button>
          <button type="button" disabled={running || session.state === 'loading' || (!paused && error !== null)} onClick={() => controller.stepEpoch()}>
            Step epoch
          </button>
        </div>
        <StatusLine />
        {error && !errorVisible && <p className="field-error">{error.message}</p>}
        <div className="buttons exports">
          <button type="button" disabled={!hasModel} onClick={() => controller.exportWeights('safetensors')} title="PyTorch state_dict names (.safetensors)">
            Export weights
          </button>
          <button type="button" disabled={!hasModel} onClick={() => controller.exportWeights('tfjs')}>
            Export TF.js
          </button>
          <label className={`button-like${canImport ? '' : ' disabled'}`} title="Load a .safetensors (the lab's export or a PyTorch state_dict with the same names)">
            Import weights
            <input
              type="file"
              accept=".safetensors"
              className="visually-hidden"
              aria-label="Import weights"
              disabled={!canImport}
              onChange={(e) => {
                const file = e.currentTarget.files?.[0];
                e.currentTarget.value = '';
                if (file) void controller.importWeights(file);
              }}
            />
          </label>
          <button
            type="button"
            disabled={!run || run.epochs.length === 0}
            onClick={() => run && controller.download(`${exportStem(run)}.csv`, new Blob([metricsToCsv(run.epochs)], { type: 'text/csv' }))}
          >
            Metrics CSV
          </button>
          <button
            type="button"
            disabled={!run}
            onClick={() => run && controller.download(`${exportStem(run)}.json`, new Blob([metricsToJson(run)], { type: 'application/json' }))}
          >
            Metrics JSON
          </button>
        </div>
      </section>

      <fieldset className="config-group">
        <legend>Dataset</legend>
        <div className="fields">
          <div className="field field-enum field-wide">
            <label htmlFor="cfg-dataset">Dataset</label>
            <select id="cfg-dataset" value={datasetId} disabled={locked} onChange={(e) => controller.selectDataset(e.target.value)}>
              {datasets.map((d) => (
                <option key={d.id} value={d.id}>
                  {d.name}
                </option>
              ))}
            </select>
          </div>
        </div>
        {dataset && <p className="hint">{dataset.description}</p>}
        {session.dataset && session.datasetId === datasetId && (
          <p className="hint">
            {session.dataset.trainSize} train / {session.dataset.testSize} test clips; classes: {session.dataset.classNames.join(', ')}
          </p>
        )}
        {addDatasetSlot && <div className="add-dataset-slot">{addDatasetSlot}</div>}
      </fieldset>

      {(['model', 'training', 'mm', 'bmm', 'ogm'] as const)
        .filter((g) => groupUsed(g, config))
        .map((g) => (
          <ConfigGroup key={g} group={g} config={config} locked={locked} error={error} onChange={onChange} />
        ))}
      <details className="config-details">
        <summary>Inputs, model width, UMAP sampling</summary>
        <ConfigGroup group="inputs" config={config} locked={locked} error={error} onChange={onChange} />
      </details>
    </div>
  );
}
