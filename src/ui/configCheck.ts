/**
 * The form's check of the config (the page's one validation boundary; the engine checks once more when a session
 * is created). Memoised on the config object and the known training-set size, so the controls, the URL sync and
 * the controller share one result per edit.
 */
import { ConfigError, validateConfig, type TrainConfig } from '../core/config';
import type { LabState } from './store';

let last: { config: TrainConfig; trainSize: number | undefined; teachers: LabState['teachers']; error: ConfigError | null } | null = null;

/** What UMT still lacks in the form: its two teacher files (the weights of an audio-only and a visual-only run). */
export function missingTeachers(config: TrainConfig, teachers: LabState['teachers']): string | null {
  if (config.method !== 'umt') return null;
  const missing = (['audio', 'visual'] as const).filter((b) => !teachers?.[b]);
  if (missing.length === 0) return null;
  return `UMT needs its teachers: pick the exported weights (.safetensors) of ${missing.map((b) => (b === 'audio' ? 'an audio-only' : 'a visual-only') + ' run').join(' and of ')} on this dataset under "UMT teachers"`;
}

/** The training-set size of the selected dataset, once the worker has reported it. */
export function knownTrainSize(state: Pick<LabState, 'session' | 'datasetId'>): number | undefined {
  const s = state.session;
  return s.dataset && s.datasetId === state.datasetId ? s.dataset.trainSize : undefined;
}

/** The first problem of the config being edited (naming its setting), or null. */
export function selectConfigError(state: Pick<LabState, 'config' | 'session' | 'datasetId' | 'teachers'>): ConfigError | null {
  const trainSize = knownTrainSize(state);
  if (last && last.config === state.config && last.trainSize === trainSize && last.teachers === state.teachers) return last.error;
  let error: ConfigError | null = null;
  try {
    validateConfig(state.config, trainSize);
    const teachers = missingTeachers(state.config, state.teachers);
    if (teachers) error = new ConfigError('method', teachers);
  } catch (err) {
    error = err instanceof ConfigError ? err : new ConfigError('config', err instanceof Error ? err.message : String(err));
  }
  last = { config: state.config, trainSize, teachers: state.teachers, error };
  return error;
}
