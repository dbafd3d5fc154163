/**
 * The form's check of the config (the page's one validation boundary; the engine checks once more when a session
 * is created). Memoised on the config object and the known training-set size, so the controls, the URL sync and
 * the controller share one result per edit.
 */
import { ConfigError, validateConfig, type TrainConfig } from '../core/config';
import type { LabState } from './store';

let last: { config: TrainConfig; trainSize: number | undefined; error: ConfigError | null } | null = null;

/** The training-set size of the selected dataset, once the worker has reported it. */
export function knownTrainSize(state: Pick<LabState, 'session' | 'datasetId'>): number | undefined {
  const s = state.session;
  return s.dataset && s.datasetId === state.datasetId ? s.dataset.trainSize : undefined;
}

/** The first problem of the config being edited (naming its setting), or null. */
export function selectConfigError(state: Pick<LabState, 'config' | 'session' | 'datasetId'>): ConfigError | null {
  const trainSize = knownTrainSize(state);
  if (last && last.config === state.config && last.trainSize === trainSize) return last.error;
  let error: ConfigError | null = null;
  try {
    validateConfig(state.config, trainSize);
  } catch (err) {
    error = err instanceof ConfigError ? err : new ConfigError('config', err instanceof Error ? err.message : String(err));
  }
  last = { config: state.config, trainSize, error };
  return error;
}
