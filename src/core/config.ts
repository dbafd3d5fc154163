/**
 * The one typed configuration of a training run: method, fusion, hyperparameters of METHOD.md, input sizes
 * and model width. It is plain JSON, so it round-trips through the URL, checkpoints and exported runs.
 * `validateConfig` names the first bad field and the values it accepts.
 */

export const METHODS = ['erm', 'mm', 'bmm', 'ogm-ge'] as const;
export const FUSIONS = ['concat', 'sum', 'film', 'gated', 'decision'] as const;
export const PRESETS = ['tiny', 'fast', 'paper'] as const;
export const BACKENDS = ['auto', 'webgpu', 'wasm', 'cpu'] as const;
export const BMM_COEFS = ['tanh(beta*(r-1))', 'tanh(beta*r)'] as const;
export const BMM_LEVELS = ['input', 'feature'] as const;
export const BMM_TARGETS = ['weak', 'original'] as const;
export const BMM_SAMPLES = ['fixed', 'beta'] as const;
export const OGM_MODES = ['ogm-ge', 'ogm'] as const;

export type MethodName = (typeof METHODS)[number];
export type FusionName = (typeof FUSIONS)[number];
export type PresetName = (typeof PRESETS)[number];
export type BackendChoice = (typeof BACKENDS)[number];
export type BackendName = Exclude<BackendChoice, 'auto'>;

export interface MmOptions {
  /** Beta(alpha, alpha) mixing coefficient distribution. */
  alpha: number;
}

export interface BmmOptions {
  beta: number;
  /** Plain (ERM) epochs before balancing starts. */
  warmup: number;
  coef: (typeof BMM_COEFS)[number];
  level: (typeof BMM_LEVELS)[number];
  targets: (typeof BMM_TARGETS)[number];
  /** `fixed`: every batch uses m; `beta`: lambda ~ Beta(alpha, alpha) scaled by m (uses mm.alpha). */
  sample: (typeof BMM_SAMPLES)[number];
}

export interface OgmOptions {
  alpha: number;
  mode: (typeof OGM_MODES)[number];
  /** Modulation is active for epochs e with start <= e < end (0-based, as OGM-GE's code). */
  start: number;
  end: number;
}

export interface StepLrOptions {
  step: number;
  gamma: number;
}

export interface TrainConfig {
  method: MethodName;
  fusion: FusionName;
  preset: PresetName;
  epochs: number;
  batch: number;
  lr: number;
  /** L2 weight decay added to the gradient (PyTorch Adam's weight_decay). */
  weightDecay: number;
  stepLr: StepLrOptions | null;
  seed: number;
  mm: MmOptions;
  bmm: BmmOptions;
  ogm: OgmOptions;
  /** Width multiplier of both ResNet-18 encoders (1 = 64..512 channels). */
  width: number;
  /** Spectrogram fed to the audio encoder: H frequency bins x W frames. */
  audioHeight: number;
  audioWidth: number;
  /** Visual frames: S x S, T frames per clip. */
  visualSize: number;
  frames: number;
  /** Random-resized-crop and flip on training frames (METHOD.md section 1). */
  augment: boolean;
  backend: BackendChoice;
  /** Collect z_a, z_v and fused features every `featuresEvery` epochs (0 = never), of up to `featuresMax` clips. */
  featuresEvery: number;
  featuresMax: number;
}

export interface PresetSizes {
  width: number;
  audioHeight: number;
  audioWidth: number;
  visualSize: number;
  batch: number;
  epochs: number;
}

/** Presets: `paper` is METHOD.md's setting; `fast` and `tiny` shrink the inputs and the width for laptops and tests. */
export const PRESET_SIZES: Record<PresetName, PresetSizes> = {
  paper: { width: 1, audioHeight: 257, audioWidth: 188, visualSize: 224, batch: 64, epochs: 60 },
  fast: { width: 0.25, audioHeight: 129, audioWidth: 94, visualSize: 112, batch: 32, epochs: 10 },
  tiny: { width: 0.125, audioHeight: 33, audioWidth: 24, visualSize: 32, batch: 16, epochs: 2 },
};

export const DEFAULT_CONFIG: TrainConfig = {
  method: 'bmm',
  fusion: 'concat',
  preset: 'fast',
  epochs: PRESET_SIZES.fast.epochs,
  batch: PRESET_SIZES.fast.batch,
  lr: 1e-3,
  weightDecay: 1e-4,
  stepLr: null,
  seed: 0,
  mm: { alpha: 0.5 },
  bmm: { beta: 1, warmup: 5, coef: 'tanh(beta*(r-1))', level: 'input', targets: 'weak', sample: 'fixed' },
  ogm: { alpha: 0.8, mode: 'ogm-ge', start: 0, end: 50 },
  width: PRESET_SIZES.fast.width,
  audioHeight: PRESET_SIZES.fast.audioHeight,
  audioWidth: PRESET_SIZES.fast.audioWidth,
  visualSize: PRESET_SIZES.fast.visualSize,
  frames: 1,
  augment: true,
  backend: 'auto',
  featuresEvery: 1,
  featuresMax: 2000,
};

/** The default config with a preset's sizes applied, then `overrides`. */
export function makeConfig(overrides: Partial<TrainConfig> = {}): TrainConfig {
  const preset = overrides.preset ?? DEFAULT_CONFIG.preset;
  const sizes = PRESET_SIZES[preset] ?? PRESET_SIZES.fast;
  return {
    ...DEFAULT_CONFIG,
    ...sizes,
    ...overrides,
    preset,
    mm: { ...DEFAULT_CONFIG.mm, ...overrides.mm },
    bmm: { ...DEFAULT_CONFIG.bmm, ...overrides.bmm },
    ogm: { ...DEFAULT_CONFIG.ogm, ...overrides.ogm },
  };
}

/** Raised for an invalid config; `field` names the offending setting. */
export class ConfigError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
    this.name = 'ConfigError';
  }
}

function oneOf<T extends string>(field: string, value: unknown, allowed: readonly T[]): void {
  if (value === undefined || value === null || value === '') {
    throw new ConfigError(field, `${field} is missing; allowed values: ${allowed.join(', ')}`);
  }
  if (!allowed.includes(value as T)) {
    throw new ConfigError(field, `${field} "${String(value)}" is not known; allowed values: ${allowed.join(', ')}`);
  }
}

function num(field: string, value: unknown, opts: { min?: number; minExclusive?: number; max?: number; integer?: boolean }): void {
  const range =
    (opts.integer ? 'an integer' : 'a number') +
    (opts.minExclusive !== undefined ? ` > ${opts.minExclusive}` : opts.min !== undefined ? ` >= ${opts.min}` : '') +
    (opts.max !== undefined ? ` and <= ${opts.max}` : '');
  if (value === undefined || value === null || (typeof value === 'number' && Number.isNaN(value))) {
    throw new ConfigError(field, `${field} is missing; expected ${range}`);
  }
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new ConfigError(field, `${field} must be ${range}, got ${JSON.stringify(value)}`);
  }
  if (
    (opts.integer && !Number.isInteger(value)) ||
    (opts.min !== undefined && value < opts.min) ||
    (opts.minExclusive !== undefined && value <= opts.minExclusive) ||
    (opts.max !== undefined && value > opts.max)
  ) {
    throw new ConfigError(field, `${field} must be ${range}, got ${value}`);
  }
}

/**
 * Checks every field; throws a ConfigError naming the first bad one and the allowed values.
 * `trainSize`, when given, also bounds the batch size.
 */
export function validateConfig(config: TrainConfig, trainSize?: number): TrainConfig {
  if (config === null || typeof config !== 'object') throw new ConfigError('config', 'config must be an object');
  oneOf('method', config.method, METHODS);
  oneOf('fusion', config.fusion, FUSIONS);
  oneOf('preset', config.preset, PRESETS);
  oneOf('backend', config.backend, BACKENDS);
  num('epochs', config.epochs, { min: 1, integer: true });
  num('batch', config.batch, { min: 2, integer: true });
  if (trainSize !== undefined && config.batch > trainSize) {
    throw new ConfigError('batch', `batch ${config.batch} is larger than the training set (${trainSize} clips); use at most ${trainSize}`);
  }
  num('lr', config.lr, { minExclusive: 0 });
  num('weightDecay', config.weightDecay, { min: 0 });
  if (config.stepLr !== null) {
    if (typeof config.stepLr !== 'object' || config.stepLr === undefined) throw new ConfigError('stepLr', 'stepLr must be null or { step, gamma }');
    num('stepLr.step', config.stepLr.step, { min: 1, integer: true });
    num('stepLr.gamma', config.stepLr.gamma, { minExclusive: 0 });
  }
  num('seed', config.seed, { integer: true });
  if (!config.mm) throw new ConfigError('mm', 'mm is missing; expected { alpha }');
  num('alpha', config.mm.alpha, { minExclusive: 0 });
  if (!config.bmm) throw new ConfigError('bmm', 'bmm is missing; expected { beta, warmup, coef, level, targets, sample }');
  num('beta', config.bmm.beta, { minExclusive: 0 });
  num('warmup', config.bmm.warmup, { min: 0, integer: true });
  oneOf('bmm.coef', config.bmm.coef, BMM_COEFS);
  oneOf('bmm.level', config.bmm.level, BMM_LEVELS);
  oneOf('bmm.targets', config.bmm.targets, BMM_TARGETS);
  oneOf('bmm.sample', config.bmm.sample, BMM_SAMPLES);
  if (!config.ogm) throw new ConfigError('ogm', 'ogm is missing; expected { alpha, mode, start, end }');
  num('ogm.alpha', config.ogm.alpha, { minExclusive: 0 });
  oneOf('ogm.mode', config.ogm.mode, OGM_MODES);
  num('ogm.start', config.ogm.start, { min: 0, integer: true });
  num('ogm.end', config.ogm.end, { min: 0, integer: true });
  num('width', config.width, { minExclusive: 0, max: 4 });
  num('audioHeight', config.audioHeight, { min: 8, integer: true });
  num('audioWidth', config.audioWidth, { min: 8, integer: true });
  num('visualSize', config.visualSize, { min: 8, integer: true });
  num('frames', config.frames, { min: 1, max: 16, integer: true });
  num('featuresEvery', config.featuresEvery, { min: 0, integer: true });
  num('featuresMax', config.featuresMax, { min: 0, integer: true });
  if (typeof config.augment !== 'boolean') throw new ConfigError('augment', 'augment must be true or false');
  return config;
}
