/**
 * The one table of settings (in the spirit of tensorflow/playground's `state.ts`). Each setting of a training run
 * is declared here once, by its dotted path in the config (`bmm.beta`, `ogm.alpha`, `epochs`), with its kind,
 * default, allowed range or values, the methods it applies to, a label and a one-line help. Everything else is
 * derived from this table: the `TrainConfig` type and its defaults and validation (`config.ts`), the lab's form
 * and URL query (`src/ui/configFields.ts`, `src/ui/urlConfig.ts`), the CLI flags and `--help`
 * (`src/cli/args.ts`), the exported run config, and the table the Python package reads
 * (`python/bmm_lab/settings.json`, written by `npm run settings:export` and checked by a test).
 *
 * Adding a setting is one entry here. Rules the derivation follows:
 * - `methods`: the setting only matters for these methods (absent: for every method). The form hides it for other
 *   methods and the CLI refuses it for them (`settingApplies` in `config.ts`).
 * - `when`: it also needs these other settings to have one of the listed values; a condition on a setting that does
 *   not itself apply is ignored (so `mm.alpha` applies to `mm` always and to `bmm` only with `bmm.sample = beta`).
 * - `optionalGroup`: a bool whose value is whether the object of the settings under its path exists (`stepLr`
 *   is `{ step, gamma }` or null). Setting one of those children switches the group on; while it is off they are
 *   left out of the URL and the form shows them disabled.
 * - `aliases`: other CLI flag names (`--beta`); an alias shared by several settings means the one that applies
 *   to the chosen method (`--alpha`).
 */

/** Where the form shows a setting. */
export type SettingSection = 'model' | 'training' | 'mm' | 'bmm' | 'ogm' | 'inputs';

interface SettingCommon {
  path: string;
  label: string;
  help: string;
  section: SettingSection;
  methods?: readonly string[];
  when?: Readonly<Record<string, readonly (string | boolean)[]>>;
  aliases?: readonly string[];
}

export interface NumberSetting extends SettingCommon {
  kind: 'number';
  default: number;
  integer?: boolean;
  min?: number;
  minExclusive?: number;
  max?: number;
  /** Step of the form's number input. */
  step?: number;
}

export interface EnumSetting extends SettingCommon {
  kind: 'enum';
  values: readonly string[];
  default: string;
  /** How the form shows a value (default: the value). */
  labels?: Readonly<Record<string, string>>;
}

export interface BoolSetting extends SettingCommon {
  kind: 'bool';
  default: boolean;
  optionalGroup?: boolean;
}

export type Setting = NumberSetting | EnumSetting | BoolSetting;

/** Sizes a preset sets: model width, input sizes, frames per clip, batch and epochs. */
export interface PresetSizes {
  width: number;
  audioHeight: number;
  audioWidth: number;
  visualSize: number;
  frames: number;
  batch: number;
  epochs: number;
}

/**
 * Presets: `paper` is METHOD.md's setting (CREMA-D, 1 frame per clip); `kinetics-sounds` is the same with the 3
 * frames per clip the paper's Kinetics-Sounds runs use; `fast` and `tiny` shrink the inputs and the width for
 * laptops and tests.
 */
export const PRESET_SIZES = {
  paper: { width: 1, audioHeight: 257, audioWidth: 188, visualSize: 224, frames: 1, batch: 64, epochs: 60 },
  'kinetics-sounds': { width: 1, audioHeight: 257, audioWidth: 188, visualSize: 224, frames: 3, batch: 64, epochs: 60 },
  fast: { width: 0.25, audioHeight: 129, audioWidth: 94, visualSize: 112, frames: 1, batch: 32, epochs: 10 },
  tiny: { width: 0.125, audioHeight: 33, audioWidth: 24, visualSize: 32, frames: 1, batch: 16, epochs: 2 },
} as const satisfies Record<string, PresetSizes>;

const FAST = PRESET_SIZES.fast;

export const SETTINGS = [
  {
    path: 'method', kind: 'enum', section: 'model', label: 'Method', default: 'bmm',
    values: ['erm', 'mm', 'bmm', 'ogm-ge', 'audio-only', 'visual-only', 'mmpareto', 'agm', 'pmr', 'umt', 'gblend', 'greedy'],
    labels: { erm: 'ERM', mm: 'MM', bmm: 'B-MM', 'ogm-ge': 'OGM-GE', 'audio-only': 'Audio only', 'visual-only': 'Visual only', mmpareto: 'MMPareto', agm: 'AGM', pmr: 'PMR', umt: 'UMT', gblend: 'G-Blending', greedy: 'Greedy' },
    help:
      'erm: plain fused cross-entropy; mm: Multimodal Mixup (features, targets); bmm: Balanced Multimodal Mixup (the weak input); ogm-ge: gradient modulation (encoder gradients; ogm.mode ogm: no noise); ' +
      'audio-only, visual-only: one encoder and its part of the head trained alone; mmpareto: per-encoder Pareto combination of the multimodal and unimodal gradients (one more forward and backward pass); ' +
      'agm: per-encoder gradient coefficients from Shapley-style unimodal responses (2 extra forward passes); ' +
      'pmr: loss plus the weak modality’s cross-entropy against class prototypes (a prototype pass over the training set per epoch); ' +
      'umt: loss plus the distance of each encoder’s feature to a frozen unimodal teacher’s (an audio-only and a visual-only run; one teacher forward pass each per step); ' +
      'gblend: loss = weighted sum of the audio, visual and fused cross-entropies, the weights from each head’s overfitting-to-generalisation ratio on validation clips (needs valSplit; every gblend.superEpoch epochs, 3 x that many probe epochs on copies of the model)' +
      '; greedy: MMTM blocks couple the encoders after layer2-4; when the modalities’ conditional learning speeds part by more than greedy.epsilon, one modality’s MMTM gates are held at their running mean for greedy.window steps (inputs to the encoders’ later layers; one pass over the weights and gradients per step)',
  },
  {
    path: 'fusion', kind: 'enum', section: 'model', label: 'Fusion', default: 'concat',
    values: ['concat', 'sum', 'film', 'gated', 'decision'], labels: { concat: 'concat', sum: 'sum', film: 'FiLM', gated: 'gated', decision: 'decision' },
    help: 'How the audio and visual features are combined before the classifier',
  },
  {
    path: 'unimodal', kind: 'enum', section: 'model', label: 'Unimodal score', default: 'zero', values: ['zero', 'mean', 'half-bias'],
    help: 'How a unimodal output replaces the other modality (per-modality accuracy, rho, OGM): zero (paper), its training-set mean, or OGM-GE code’s half bias (concat, sum, decision)',
  },
  {
    path: 'bnStats', kind: 'enum', section: 'training', label: 'Eval BN statistics', default: 'precise', values: ['precise', 'running'],
    help: 'precise: before each epoch’s evaluation, BatchNorm statistics are recomputed over the clean training set (as torch.optim.swa_utils.update_bn); running: the momentum averages of training (PyTorch’s default, the paper)',
  },
  {
    path: 'preset', kind: 'enum', section: 'model', label: 'Preset', default: 'fast', values: ['tiny', 'fast', 'paper', 'kinetics-sounds'],
    help: 'Sets width, input sizes, frames T, batch and epochs: paper is the paper’s CREMA-D setting, kinetics-sounds the same with T = 3 frames per clip (its Kinetics-Sounds setting)',
  },
  { path: 'backend', kind: 'enum', section: 'training', label: 'Backend', default: 'auto', values: ['auto', 'webgpu', 'wasm', 'cpu'], help: 'TF.js backend; auto picks the fastest available' },
  { path: 'epochs', kind: 'number', section: 'training', label: 'Epochs', default: FAST.epochs, integer: true, min: 1, help: 'Training epochs' },
  { path: 'batch', kind: 'number', section: 'training', label: 'Batch', default: FAST.batch, integer: true, min: 2, help: 'Clips per optimisation step' },
  {
    path: 'microBatch', kind: 'number', section: 'training', label: 'Micro-batch', default: 0, integer: true, min: 0,
    help: 'Split each batch into micro-batches of this many clips and accumulate their gradients (for batches that do not fit in memory); BatchNorm statistics, mixing and OGM coefficients are then per micro-batch (0: whole batches)',
  },
  { path: 'lr', kind: 'number', section: 'training', label: 'Learning rate', default: 1e-3, minExclusive: 0, step: 0.0001, help: 'Adam learning rate' },
  {
    path: 'weightDecay', kind: 'number', section: 'training', label: 'Weight decay', default: 1e-4, min: 0, step: 0.0001,
    help: 'L2 weight decay added to the gradient (PyTorch Adam weight_decay)',
  },
  { path: 'stepLr', kind: 'bool', section: 'training', label: 'StepLR', default: false, optionalGroup: true, help: 'Multiply the learning rate by gamma every step epochs' },
  { path: 'stepLr.step', kind: 'number', section: 'training', label: 'StepLR step', default: 30, integer: true, min: 1, when: { stepLr: [true] }, help: 'Epochs between learning-rate drops' },
  { path: 'stepLr.gamma', kind: 'number', section: 'training', label: 'StepLR gamma', default: 0.1, minExclusive: 0, step: 0.01, when: { stepLr: [true] }, help: 'Factor of each learning-rate drop' },
  {
    path: 'valSplit', kind: 'number', section: 'training', label: 'Validation split', default: 0, min: 0, max: 0.5, step: 0.05,
    help: 'Fraction of the training clips held out (per class, seeded) to choose the best epoch; best accuracy is then the test accuracy at the best validation epoch (0: none, best is the best test epoch)',
  },
  { path: 'seed', kind: 'number', section: 'training', label: 'Seed', default: 0, integer: true, help: 'Drives init, shuffling, permutations, Beta draws and augmentation' },
  {
    path: 'mm.alpha', kind: 'number', section: 'mm', label: 'alpha (Beta)', default: 0.5, minExclusive: 0, step: 0.1,
    methods: ['mm', 'bmm'], when: { 'bmm.sample': ['beta'] }, aliases: ['alpha'],
    help: 'lambda ~ Beta(alpha, alpha); also B-MM with sample = beta',
  },
  { path: 'bmm.beta', kind: 'number', section: 'bmm', label: 'beta', default: 1, minExclusive: 0, step: 0.1, methods: ['bmm'], aliases: ['beta'], help: 'm = tanh(beta (r - 1))' },
  {
    path: 'bmm.warmup', kind: 'number', section: 'bmm', label: 'Warm-up epochs', default: 5, integer: true, min: 0, methods: ['bmm'], aliases: ['warmup'],
    help: 'Plain (ERM) epochs before balancing starts',
  },
  {
    path: 'bmm.coef', kind: 'enum', section: 'bmm', label: 'Coefficient', default: 'tanh(beta*(r-1))', values: ['tanh(beta*(r-1))', 'tanh(beta*r)'], methods: ['bmm'],
    help: 'Mixing strength m from r = max(rho, 1/rho)',
  },
  {
    path: 'bmm.level', kind: 'enum', section: 'bmm', label: 'Mix level', default: 'input', values: ['input', 'feature'], methods: ['bmm'],
    help: 'Mix the weak modality’s input (paper) or its encoder feature',
  },
  {
    path: 'bmm.targets', kind: 'enum', section: 'bmm', label: 'Targets', default: 'weak', values: ['weak', 'original'], methods: ['bmm'],
    help: 'Mix the targets like the weak input (paper) or keep the original labels',
  },
  {
    path: 'bmm.sample', kind: 'enum', section: 'bmm', label: 'Sample', default: 'fixed', values: ['fixed', 'beta'], methods: ['bmm'],
    help: 'fixed: every batch uses m; beta: m times lambda ~ Beta(alpha, alpha) per batch (alpha = mm.alpha)',
  },
  {
    path: 'bmm.maxM', kind: 'number', section: 'bmm', label: 'Max m', default: 0.5, minExclusive: 0, max: 1, step: 0.05, methods: ['bmm'],
    help: 'Upper bound on the mixing strength m (0.5, the lab’s default, keeps most of each target on the clip’s own label; 1 = none, the paper)',
  },
  {
    path: 'bmm.rhoSmoothing', kind: 'number', section: 'bmm', label: 'rho smoothing', default: 0, min: 0, max: 0.95, step: 0.05, methods: ['bmm'],
    help: 'Weight of the past in an exponential average of log rho over epochs (0 = the last epoch’s rho)',
  },
  {
    path: 'bmm.ramp', kind: 'number', section: 'bmm', label: 'Ramp epochs', default: 0, min: 0, step: 0.5, methods: ['bmm'],
    help: 'm rises linearly, step by step, from 0 to its planned value over this many epochs after the warm-up (0 = at once)',
  },
  {
    path: 'ogm.alpha', kind: 'number', section: 'ogm', label: 'alpha', default: 0.8, minExclusive: 0, step: 0.1, methods: ['ogm-ge'], aliases: ['alpha'],
    help: 'k = 1 - tanh(alpha ratio) for the stronger modality',
  },
  {
    path: 'ogm.mode', kind: 'enum', section: 'ogm', label: 'Mode', default: 'ogm-ge', values: ['ogm-ge', 'ogm'], labels: { 'ogm-ge': 'OGM-GE', ogm: 'OGM' }, methods: ['ogm-ge'],
    help: 'ogm-ge adds Gaussian noise with the gradient’s std; ogm only scales',
  },
  {
    path: 'ogm.start', kind: 'number', section: 'ogm', label: 'Start epoch', default: 0, integer: true, min: 0, methods: ['ogm-ge'],
    help: 'First epoch (0-based) with modulation',
  },
  {
    path: 'ogm.end', kind: 'number', section: 'ogm', label: 'End epoch', default: 50, integer: true, min: 0, methods: ['ogm-ge'],
    help: 'Last epoch (0-based, included, as OGM-GE’s code) with modulation',
  },
  {
    path: 'mmpareto.gamma', kind: 'number', section: 'training', label: 'MMPareto gamma', default: 1.5, minExclusive: 0, step: 0.1, methods: ['mmpareto'],
    help: 'Gradients: each encoder gets gamma times the Pareto combination of its multimodal and unimodal gradients, rescaled to at least their sum’s norm (MMPareto’s code: gamma 1.5)',
  },
  {
    path: 'agm.alpha', kind: 'number', section: 'training', label: 'AGM alpha', default: 0.1, minExclusive: 0, step: 0.05, methods: ['agm'], aliases: ['alpha'],
    help: 'Gradients: encoder kernels times exp(alpha min(eta - r, 10)), r from the batch’s Shapley responses, eta from their running mean (BalanceBenchmark: alpha 0.1)',
  },
  {
    path: 'pmr.alpha', kind: 'number', section: 'training', label: 'PMR alpha', default: 0.1, min: 0, step: 0.05, methods: ['pmr'], aliases: ['alpha'],
    help: 'Loss: weight of the weak modality’s prototype cross-entropy, times its coefficient clip(rho_p - 1, 0, 1) (BalanceBenchmark: alpha 0.1)',
  },
  {
    path: 'pmr.momentum', kind: 'number', section: 'training', label: 'PMR momentum', default: 0.5, min: 0, max: 1, step: 0.05, methods: ['pmr'],
    help: 'Prototypes: weight of the previous epoch’s prototypes in each epoch’s new ones (BalanceBenchmark: 0.5)',
  },
  {
    path: 'umt.alpha', kind: 'number', section: 'training', label: 'UMT alpha', default: 1, min: 0, step: 0.1, methods: ['umt'], aliases: ['alpha'],
    help: 'Loss: weight of MSE(z_a, teacher z_a) + MSE(z_v, teacher z_v), the teachers the encoders of an audio-only and a visual-only run (the lab’s default 1)',
  },
  {
    path: 'gblend.superEpoch', kind: 'number', section: 'training', label: 'G-Blending super-epoch', default: 10, integer: true, min: 2, methods: ['gblend'],
    help: 'Loss weights: measured before the first epoch and every this many epochs, each head probe-trained this many epochs on a copy of the model (BalanceBenchmark: super_epoch 10)',
  },
  {
    path: 'greedy.epsilon', kind: 'number', section: 'training', label: 'Greedy epsilon', default: 0.01, min: 0, step: 0.005, methods: ['greedy'],
    help: 'Re-balancing starts when |d_BDR|, the gap between the modalities’ log10 conditional learning speeds, exceeds this (the authors’ code: 0.01)',
  },
  {
    path: 'greedy.window', kind: 'number', section: 'training', label: 'Greedy window', default: 5, integer: true, min: 1, methods: ['greedy'],
    help: 'Steps of each re-balancing window, with the caring modality’s MMTM gates held at their running mean (the authors’ code: curation_windowsize 5)',
  },
  {
    path: 'greedy.start', kind: 'number', section: 'training', label: 'Greedy start epoch', default: 1, integer: true, min: 0, methods: ['greedy'],
    help: 'First epoch (0-based) that may re-balance; the learning speeds are summed from the first step (the authors’ code: starting_epoch 2 of 1-based epochs)',
  },
  { path: 'width', kind: 'number', section: 'inputs', label: 'Width multiplier', default: FAST.width, minExclusive: 0, max: 4, step: 0.125, help: 'Channels of both ResNet-18 encoders: 1 = 64..512' },
  { path: 'audioHeight', kind: 'number', section: 'inputs', label: 'Spectrogram H', default: FAST.audioHeight, integer: true, min: 8, help: 'Frequency bins of the audio encoder’s input' },
  { path: 'audioWidth', kind: 'number', section: 'inputs', label: 'Spectrogram W', default: FAST.audioWidth, integer: true, min: 8, help: 'Time frames of the audio encoder’s input' },
  { path: 'visualSize', kind: 'number', section: 'inputs', label: 'Frame size S', default: FAST.visualSize, integer: true, min: 8, help: 'Visual frames are S x S' },
  { path: 'frames', kind: 'number', section: 'inputs', label: 'Frames T', default: FAST.frames, integer: true, min: 1, max: 16, help: 'Frames per clip (of every frame branch)' },
  { path: 'augment', kind: 'bool', section: 'inputs', label: 'Augment frames', default: true, help: 'Random-resized crop and flip on training frames; off: the evaluation transforms' },
  { path: 'featuresEvery', kind: 'number', section: 'inputs', label: 'UMAP every N epochs', default: 1, integer: true, min: 0, help: 'Collect features for the maps every N epochs (0 = never)' },
  { path: 'featuresMax', kind: 'number', section: 'inputs', label: 'UMAP clips', default: 2000, integer: true, min: 0, help: 'Clips whose features are collected for the maps' },
] as const satisfies readonly Setting[];

export type SettingPath = (typeof SETTINGS)[number]['path'];
