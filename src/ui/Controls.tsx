/**
 * The left panel: run buttons and status, dataset, and every setting of the config (from the field table),
 * with `validateConfig`'s error shown beside the field it names. The fields are the settings table's entries; a
 * method named after a branch is labelled by the selected dataset's kind ("RGB only" on RGB + flow).
 */
import { memo, useCallback, useId, useState, type ReactNode } from 'react';
import {
  ALL_SETTINGS,
  ConfigError,
  getSetting,
  setSetting,
  settingApplies,
  type NumberSetting,
  type Setting,
  type TrainConfig,
} from '../core/config';
import { branchName, type ModalityPair } from '../core/modalities';
import type { SettingSection } from '../core/settings';
import { selectConfigError } from './configCheck';
import { SECTION_TITLES } from './configFields';
import { useController, useLab } from './context';
import { metricsCsvFile, metricsJsonFile } from './exportMetrics';
import { methodLabel } from './run';
import { statusText } from './statusText';
import { selectedModalities, selectStableRuns, type LabState } from './store';

export interface ControlsProps {
  /**
   * Slot under the dataset picker for adding datasets (the "Add dataset folder" input). It should call
   * `controller.addDataset(entry)` with a decoded dataset.
   */
  addDatasetSlot?: ReactNode;
}

/** A section is shown when one of its settings matters for the config's method. */
function sectionUsed(section: SettingSection, config: TrainConfig): boolean {
  return ALL_SETTINGS.some((s) => s.section === section && settingApplies(config, s.path));
}

function formatNumber(value: number): string {
  return Number.isFinite(value) ? String(value) : '';
}

function NumberInput(props: { id: string; field: NumberSetting; config: TrainConfig; disabled: boolean; describedBy?: string; onChange(config: TrainConfig): void }) {
  const { id, field, config, disabled, describedBy, onChange } = props;
  const value = getSetting(config, field.path) as number;
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
      min={field.min ?? field.minExclusive}
      max={field.max}
      value={text}
      disabled={disabled}
      aria-invalid={describedBy ? true : undefined}
      aria-describedby={describedBy}
      onChange={(e) => {
        setText(e.target.value);
        const parsed = e.target.value.trim() === '' ? Number.NaN : Number(e.target.value);
        onChange(setSetting(config, field.path, parsed));
      }}
    />
  );
}

function FieldRow(props: { field: Setting; config: TrainConfig; pair: ModalityPair; locked: boolean; error: ConfigError | null; onChange(c: TrainConfig): void }) {
  const { field, config, pair, locked, error, onChange } = props;
  const base = useId();
  const id = `cfg-${field.path.replace('.', '-')}-${base.replace(/:/g, '')}`;
  const errorId = `${id}-error`;
  const showError = error !== null && error.field === field.path;
  const disabled = locked || !settingApplies(config, field.path);
  let input: ReactNode;
  switch (field.kind) {
    case 'enum':
      input = (
        <select id={id} value={String(getSetting(config, field.path))} disabled={disabled} onChange={(e) => onChange(setSetting(config, field.path, e.target.value))}>
          {field.values.map((o) => (
            <option key={o} value={o}>
              {field.path === 'method' ? methodLabel(o, pair) : (field.labels?.[o] ?? o)}
            </option>
          ))}
        </select>
      );
      break;
    case 'number':
      input = <NumberInput id={id} field={field} config={config} disabled={disabled} describedBy={showError ? errorId : undefined} onChange={onChange} />;
      break;
    case 'bool':
      input = (
        <input id={id} type="checkbox" checked={getSetting(config, field.path) === true} disabled={disabled} onChange={(e) => onChange(setSetting(config, field.path, e.target.checked))} />
      );
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
const ConfigGroup = memo(function ConfigGroup(props: { group: SettingSection; config: TrainConfig; pair: ModalityPair; locked: boolean; error: ConfigError | null; onChange(c: TrainConfig): void }) {
  const fields = ALL_SETTINGS.filter((f) => f.section === props.group && (!f.methods || f.methods.includes(props.config.method)));
  return (
    <fieldset className="config-group">
      <legend>{SECTION_TITLES[props.group]}</legend>
      <div className="fields">
        {fields.map((f) => (
          <FieldRow key={f.path} field={f} config={props.config} pair={props.pair} locked={props.locked} error={props.error} onChange={props.onChange} />
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

const NO_TEACHERS = { audio: null, visual: null };
const selectTeachers = (s: LabState) => s.teachers ?? NO_TEACHERS;

/** UMT's two teacher files: the exported weights of an audio-only and a visual-only run (kept until changed). */
function TeacherFields({ teachers, pair, locked }: { teachers: { audio: string | null; visual: string | null }; pair: ModalityPair; locked: boolean }) {
  const controller = useController();
  return (
    <fieldset className="config-group">
      <legend>UMT teachers</legend>
      <div className="fields">
        {(['audio', 'visual'] as const).map((branch) => {
          const method = branch === 'audio' ? 'audio-only' : 'visual-only';
          const name = branchName(pair, branch);
          return (
            <div key={branch} className="field field-wide">
              <label className={`button-like${locked ? ' disabled' : ''}`}>
                {name} teacher ({methodLabel(method, pair)} run, .safetensors)
                <input
                  type="file"
                  accept=".safetensors"
                  className="visually-hidden"
                  aria-label={`${name} teacher`}
                  disabled={locked}
                  onChange={(e) => {
                    const file = e.currentTarget.files?.[0];
                    e.currentTarget.value = '';
                    if (file) void controller.setTeacher(branch, file);
                  }}
                />
              </label>
              <span className="hint" data-testid={`teacher-${branch}`}>
                {teachers[branch] ?? 'none picked'}
              </span>
            </div>
          );
        })}
      </div>
      <p className="hint">
        Train one run of each, {methodLabel('audio-only', pair)} and {methodLabel('visual-only', pair)}, on this dataset at the same width, and save each with Export weights.
      </p>
    </fieldset>
  );
}

export function Controls({ addDatasetSlot }: ControlsProps) {
  const controller = useController();
  const session = useLab(selectSession);
  const config = useLab(selectConfig);
  const datasets = useLab(selectDatasets);
  const datasetId = useLab(selectDatasetId);
  const pair = useLab(selectedModalities);
  const runs = useLab(selectRuns);

  // The form checks the config as the user types (the engine checks it once more when a session is created).
  const error = useLab(selectConfigError);
  const teachers = useLab(selectTeachers);
  const running = session.state === 'running';
  const paused = session.state === 'paused';
  const busy = running || paused;
  const locked = busy || session.state === 'loading';
  const run = session.runId ? runs[session.runId] : undefined;
  const hasModel = run !== undefined && (busy || session.state === 'stopped' || session.state === 'done');
  const canImport = ['idle', 'paused', 'stopped', 'done'].includes(session.state);
  const errorField = error ? ALL_SETTINGS.find((s) => s.path === error.field) : undefined;
  const errorVisible = errorField !== undefined && sectionUsed(errorField.section, config) && errorField.section !== 'inputs';
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
            onClick={() => {
              const file = run && metricsCsvFile([run]);
              if (file) controller.download(file.name, file.blob);
            }}
          >
            Metrics CSV
          </button>
          <button
            type="button"
            disabled={!run}
            onClick={() => {
              const file = run && metricsJsonFile(run);
              if (file) controller.download(file.name, file.blob);
            }}
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
        .filter((g) => sectionUsed(g, config))
        .map((g) => (
          <ConfigGroup key={g} group={g} config={config} pair={pair} locked={locked} error={error} onChange={onChange} />
        ))}
      {config.method === 'umt' && <TeacherFields teachers={teachers} pair={pair} locked={locked} />}
      <details className="config-details">
        <summary>Inputs, model width, UMAP sampling</summary>
        <ConfigGroup group="inputs" config={config} pair={pair} locked={locked} error={error} onChange={onChange} />
      </details>
    </div>
  );
}
