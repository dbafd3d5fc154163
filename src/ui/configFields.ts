/**
 * One table of every TrainConfig setting the page shows: its key (the same name `validateConfig` reports in
 * ConfigError.field, and the URL parameter), label, kind, and how to read and write it. The controls and the URL
 * round-trip are both driven by this table, so a new setting is added in one place.
 */
import {
  BACKENDS,
  BMM_COEFS,
  BMM_LEVELS,
  BMM_SAMPLES,
  BMM_TARGETS,
  FUSIONS,
  METHODS,
  OGM_MODES,
  PRESET_SIZES,
  PRESETS,
  type PresetName,
  type TrainConfig,
} from '../core/config';

export type FieldGroup = 'model' | 'training' | 'mm' | 'bmm' | 'ogm' | 'inputs';

interface FieldBase {
  /** ConfigError.field name and URL parameter. */
  key: string;
  label: string;
  group: FieldGroup;
  help?: string;
}

export interface EnumField extends FieldBase {
  kind: 'enum';
  options: readonly string[];
  optionLabels?: Record<string, string>;
  get(config: TrainConfig): string;
  set(config: TrainConfig, value: string): TrainConfig;
}

export interface NumberField extends FieldBase {
  kind: 'number';
  integer: boolean;
  min?: number;
  step?: number;
  get(config: TrainConfig): number;
  set(config: TrainConfig, value: number): TrainConfig;
  /** False when the setting does not apply (its input is disabled and it is left out of the URL). */
  enabled?(config: TrainConfig): boolean;
}

export interface BoolField extends FieldBase {
  kind: 'bool';
  get(config: TrainConfig): boolean;
  set(config: TrainConfig, value: boolean): TrainConfig;
}

export type ConfigField = EnumField | NumberField | BoolField;

/** StepLR defaults when it is switched on (METHOD.md: step 30, gamma 0.1). */
export const STEP_LR_DEFAULT = { step: 30, gamma: 0.1 } as const;

export const METHOD_LABELS: Record<string, string> = { erm: 'ERM', mm: 'MM', bmm: 'B-MM', 'ogm-ge': 'OGM-GE' };
export const FUSION_LABELS: Record<string, string> = { concat: 'concat', sum: 'sum', film: 'FiLM', gated: 'gated', decision: 'decision' };

/** The config with a preset chosen: its sizes (width, inputs, batch, epochs) are applied. */
export function applyPreset(config: TrainConfig, preset: PresetName): TrainConfig {
  return { ...config, preset, ...PRESET_SIZES[preset] };
}

export const CONFIG_FIELDS: readonly ConfigField[] = [
  {
    kind: 'enum', key: 'method', label: 'Method', group: 'model', options: METHODS, optionLabels: METHOD_LABELS,
    get: (c) => c.method, set: (c, v) => ({ ...c, method: v as TrainConfig['method'] }),
  },
  {
    kind: 'enum', key: 'fusion', label: 'Fusion', group: 'model', options: FUSIONS, optionLabels: FUSION_LABELS,
    get: (c) => c.fusion, set: (c, v) => ({ ...c, fusion: v as TrainConfig['fusion'] }),
  },
  {
    kind: 'enum', key: 'preset', label: 'Preset', group: 'model', options: PRESETS,
    help: 'Sets width, input sizes, batch and epochs',
    get: (c) => c.preset, set: (c, v) => applyPreset(c, v as PresetName),
  },
  {
    kind: 'enum', key: 'backend', label: 'Backend', group: 'training', options: BACKENDS,
    get: (c) => c.backend, set: (c, v) => ({ ...c, backend: v as TrainConfig['backend'] }),
  },
  { kind: 'number', key: 'epochs', label: 'Epochs', group: 'training', integer: true, min: 1, get: (c) => c.epochs, set: (c, v) => ({ ...c, epochs: v }) },
  { kind: 'number', key: 'batch', label: 'Batch', group: 'training', integer: true, min: 2, get: (c) => c.batch, set: (c, v) => ({ ...c, batch: v }) },
  { kind: 'number', key: 'lr', label: 'Learning rate', group: 'training', integer: false, min: 0, step: 0.0001, get: (c) => c.lr, set: (c, v) => ({ ...c, lr: v }) },
  {
    kind: 'number', key: 'weightDecay', label: 'Weight decay', group: 'training', integer: false, min: 0, step: 0.0001,
    get: (c) => c.weightDecay, set: (c, v) => ({ ...c, weightDecay: v }),
  },
  {
    kind: 'bool', key: 'stepLr', label: 'StepLR', group: 'training', help: 'Multiply the learning rate by gamma every step epochs',
    get: (c) => c.stepLr !== null, set: (c, v) => ({ ...c, stepLr: v ? (c.stepLr ?? { ...STEP_LR_DEFAULT }) : null }),
  },
  {
    kind: 'number', key: 'stepLr.step', label: 'StepLR step', group: 'training', integer: true, min: 1,
    get: (c) => c.stepLr?.step ?? STEP_LR_DEFAULT.step,
    set: (c, v) => (c.stepLr ? { ...c, stepLr: { ...c.stepLr, step: v } } : c),
    enabled: (c) => c.stepLr !== null,
  },
  {
    kind: 'number', key: 'stepLr.gamma', label: 'StepLR gamma', group: 'training', integer: false, min: 0, step: 0.01,
    get: (c) => c.stepLr?.gamma ?? STEP_LR_DEFAULT.gamma,
    set: (c, v) => (c.stepLr ? { ...c, stepLr: { ...c.stepLr, gamma: v } } : c),
    enabled: (c) => c.stepLr !== null,
  },
  { kind: 'number', key: 'seed', label: 'Seed', group: 'training', integer: true, get: (c) => c.seed, set: (c, v) => ({ ...c, seed: v }) },
  {
    kind: 'number', key: 'alpha', label: 'alpha (Beta)', group: 'mm', integer: false, min: 0, step: 0.1,
    help: 'lambda ~ Beta(alpha, alpha); also B-MM with sample = beta',
    get: (c) => c.mm.alpha, set: (c, v) => ({ ...c, mm: { ...c.mm, alpha: v } }),
  },
  {
    kind: 'number', key: 'beta', label: 'beta', group: 'bmm', integer: false, min: 0, step: 0.1, help: 'm = tanh(beta (r - 1))',
    get: (c) => c.bmm.beta, set: (c, v) => ({ ...c, bmm: { ...c.bmm, beta: v } }),
  },
  {
    kind: 'number', key: 'warmup', label: 'Warm-up epochs', group: 'bmm', integer: true, min: 0,
    get: (c) => c.bmm.warmup, set: (c, v) => ({ ...c, bmm: { ...c.bmm, warmup: v } }),
  },
  {
    kind: 'enum', key: 'bmm.coef', label: 'Coefficient', group: 'bmm', options: BMM_COEFS,
    get: (c) => c.bmm.coef, set: (c, v) => ({ ...c, bmm: { ...c.bmm, coef: v as TrainConfig['bmm']['coef'] } }),
  },
  {
    kind: 'enum', key: 'bmm.level', label: 'Mix level', group: 'bmm', options: BMM_LEVELS,
    get: (c) => c.bmm.level, set: (c, v) => ({ ...c, bmm: { ...c.bmm, level: v as TrainConfig['bmm']['level'] } }),
  },
  {
    kind: 'enum', key: 'bmm.targets', label: 'Targets', group: 'bmm', options: BMM_TARGETS,
    get: (c) => c.bmm.targets, set: (c, v) => ({ ...c, bmm: { ...c.bmm, targets: v as TrainConfig['bmm']['targets'] } }),
  },
  {
    kind: 'enum', key: 'bmm.sample', label: 'Sample', group: 'bmm', options: BMM_SAMPLES,
    get: (c) => c.bmm.sample, set: (c, v) => ({ ...c, bmm: { ...c.bmm, sample: v as TrainConfig['bmm']['sample'] } }),
  },
  {
    kind: 'number', key: 'ogm.alpha', label: 'alpha', group: 'ogm', integer: false, min: 0, step: 0.1, help: 'k = 1 - tanh(alpha ratio)',
    get: (c) => c.ogm.alpha, set: (c, v) => ({ ...c, ogm: { ...c.ogm, alpha: v } }),
  },
  {
    kind: 'enum', key: 'ogm.mode', label: 'Mode', group: 'ogm', options: OGM_MODES, optionLabels: { 'ogm-ge': 'OGM-GE', ogm: 'OGM' },
    get: (c) => c.ogm.mode, set: (c, v) => ({ ...c, ogm: { ...c.ogm, mode: v as TrainConfig['ogm']['mode'] } }),
  },
  {
    kind: 'number', key: 'ogm.start', label: 'Start epoch', group: 'ogm', integer: true, min: 0,
    get: (c) => c.ogm.start, set: (c, v) => ({ ...c, ogm: { ...c.ogm, start: v } }),
  },
  {
    kind: 'number', key: 'ogm.end', label: 'End epoch', group: 'ogm', integer: true, min: 0,
    get: (c) => c.ogm.end, set: (c, v) => ({ ...c, ogm: { ...c.ogm, end: v } }),
  },
  {
    kind: 'number', key: 'width', label: 'Width multiplier', group: 'inputs', integer: false, min: 0, step: 0.125,
    get: (c) => c.width, set: (c, v) => ({ ...c, width: v }),
  },
  { kind: 'number', key: 'audioHeight', label: 'Spectrogram H', group: 'inputs', integer: true, min: 8, get: (c) => c.audioHeight, set: (c, v) => ({ ...c, audioHeight: v }) },
  { kind: 'number', key: 'audioWidth', label: 'Spectrogram W', group: 'inputs', integer: true, min: 8, get: (c) => c.audioWidth, set: (c, v) => ({ ...c, audioWidth: v }) },
  { kind: 'number', key: 'visualSize', label: 'Frame size S', group: 'inputs', integer: true, min: 8, get: (c) => c.visualSize, set: (c, v) => ({ ...c, visualSize: v }) },
  { kind: 'number', key: 'frames', label: 'Frames T', group: 'inputs', integer: true, min: 1, get: (c) => c.frames, set: (c, v) => ({ ...c, frames: v }) },
  { kind: 'bool', key: 'augment', label: 'Augment frames', group: 'inputs', get: (c) => c.augment, set: (c, v) => ({ ...c, augment: v }) },
  {
    kind: 'number', key: 'featuresEvery', label: 'UMAP every N epochs', group: 'inputs', integer: true, min: 0, help: '0 = never',
    get: (c) => c.featuresEvery, set: (c, v) => ({ ...c, featuresEvery: v }),
  },
  {
    kind: 'number', key: 'featuresMax', label: 'UMAP clips', group: 'inputs', integer: true, min: 0,
    get: (c) => c.featuresMax, set: (c, v) => ({ ...c, featuresMax: v }),
  },
];

export function fieldByKey(key: string): ConfigField | undefined {
  return CONFIG_FIELDS.find((f) => f.key === key);
}

/** Sets one field from a value of the right kind (used where the kind is known only at run time). */
export function setField(config: TrainConfig, field: ConfigField, value: string | number | boolean): TrainConfig {
  switch (field.kind) {
    case 'enum':
      return field.set(config, String(value));
    case 'number':
      return field.set(config, Number(value));
    case 'bool':
      return field.set(config, Boolean(value));
  }
}

/** The field's value as a string: the URL form. */
export function fieldString(config: TrainConfig, field: ConfigField): string {
  return String(field.get(config));
}
