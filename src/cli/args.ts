/**
 * Command-line parsing for `bmm-lab train` and `bmm-lab eval`: flags to a validated TrainConfig, with messages that
 * name the flag and its allowed values.
 */
import { BACKENDS, ConfigError, FUSIONS, makeConfig, METHODS, PRESETS, validateConfig, type TrainConfig } from '../core/config';

export interface TrainArgs {
  command: 'train';
  config: TrainConfig;
  dataset: 'demo';
  json: boolean;
  exportPath: string | null;
  exportTfjsDir: string | null;
  weightsPath: string | null;
}

export interface EvalArgs {
  command: 'eval';
  weights: string;
  inputs: string;
  out: string;
  backend: TrainConfig['backend'];
}

export interface HelpArgs {
  command: 'help';
}

export type CliArgs = TrainArgs | EvalArgs | HelpArgs;

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export const USAGE = `Usage:
  bmm-lab train [options]     train on the built-in demo dataset
  bmm-lab eval --weights W.safetensors --inputs IN.safetensors --out OUT.safetensors [--backend B]

train options:
  --dataset demo              dataset (the built-in synthetic demo)
  --method ${METHODS.join('|')}   (default bmm)
  --fusion ${FUSIONS.join('|')}   (default concat)
  --preset ${PRESETS.join('|')}   sizes and width (default fast)
  --epochs N  --batch N  --lr X  --seed N
  --alpha X                   MM's Beta(alpha, alpha) (mm, bmm) or OGM-GE's alpha (ogm-ge)
  --beta X  --warmup N        B-MM strength and warm-up epochs
  --width X                   encoder width multiplier (overrides the preset)
  --backend ${BACKENDS.join('|')}
  --weights FILE.safetensors  start from these weights (lab export or PyTorch state_dict)
  --json                      one JSON object per epoch, then {"summary": ...}
  --export FILE.safetensors   write the trained weights (PyTorch names, see README)
  --export-tfjs DIR           also write TF.js format (model.json + weights.bin)`;

const TRAIN_FLAGS = new Set(['dataset', 'method', 'fusion', 'preset', 'epochs', 'batch', 'lr', 'alpha', 'beta', 'warmup', 'seed', 'backend', 'width', 'json', 'export', 'export-tfjs', 'weights']);
const EVAL_FLAGS = new Set(['weights', 'inputs', 'out', 'backend']);
const BOOLEAN_FLAGS = new Set(['json']);

function parseFlags(argv: string[], allowed: Set<string>): Map<string, string> {
  const flags = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith('--')) throw new UsageError(`unexpected argument "${arg}"\n\n${USAGE}`);
    let name = arg.slice(2);
    let value: string | undefined;
    const eq = name.indexOf('=');
    if (eq >= 0) {
      value = name.slice(eq + 1);
      name = name.slice(0, eq);
    }
    if (!allowed.has(name)) throw new UsageError(`unknown option --${name}; allowed: ${[...allowed].map((f) => `--${f}`).join(', ')}`);
    if (BOOLEAN_FLAGS.has(name)) {
      flags.set(name, value ?? 'true');
      continue;
    }
    if (value === undefined) {
      const next = argv[i + 1];
      if (next === undefined || next.startsWith('--')) throw new UsageError(`--${name} needs a value`);
      value = next;
      i++;
    }
    flags.set(name, value);
  }
  return flags;
}

function number(flags: Map<string, string>, name: string): number | undefined {
  const v = flags.get(name);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n)) throw new ConfigError(name, `--${name} must be a number, got "${v}"`);
  return n;
}

export function parseArgs(argv: string[]): CliArgs {
  const [command, ...rest] = argv;
  if (command === undefined || command === 'help' || command === '--help' || command === '-h') return { command: 'help' };
  if (command === 'eval') {
    const flags = parseFlags(rest, EVAL_FLAGS);
    for (const f of ['weights', 'inputs', 'out']) if (!flags.get(f)) throw new UsageError(`eval needs --${f}\n\n${USAGE}`);
    const backend = (flags.get('backend') ?? 'auto') as TrainConfig['backend'];
    if (!BACKENDS.includes(backend)) throw new ConfigError('backend', `backend "${backend}" is not known; allowed values: ${BACKENDS.join(', ')}`);
    return { command: 'eval', weights: flags.get('weights')!, inputs: flags.get('inputs')!, out: flags.get('out')!, backend };
  }
  if (command !== 'train') throw new UsageError(`unknown command "${command}"; use train or eval\n\n${USAGE}`);
  const flags = parseFlags(rest, TRAIN_FLAGS);
  const dataset = flags.get('dataset') ?? 'demo';
  if (dataset !== 'demo') throw new ConfigError('dataset', `dataset "${dataset}" is not known; allowed values: demo (real folders are decoded in the browser lab)`);
  const preset = (flags.get('preset') ?? 'fast') as TrainConfig['preset'];
  if (!PRESETS.includes(preset)) throw new ConfigError('preset', `preset "${preset}" is not known; allowed values: ${PRESETS.join(', ')}`);
  const method = (flags.get('method') ?? 'bmm') as TrainConfig['method'];
  const overrides: Partial<TrainConfig> = { preset, method };
  if (flags.has('fusion')) overrides.fusion = flags.get('fusion') as TrainConfig['fusion'];
  if (flags.has('backend')) overrides.backend = flags.get('backend') as TrainConfig['backend'];
  const set = <K extends keyof TrainConfig>(key: K, flag: string) => {
    const v = number(flags, flag);
    if (v !== undefined) overrides[key] = v as TrainConfig[K];
  };
  set('epochs', 'epochs');
  set('batch', 'batch');
  set('lr', 'lr');
  set('seed', 'seed');
  set('width', 'width');
  const base = makeConfig(overrides);
  const alpha = number(flags, 'alpha');
  if (alpha !== undefined) {
    if (method === 'ogm-ge') base.ogm.alpha = alpha;
    else base.mm.alpha = alpha;
  }
  const beta = number(flags, 'beta');
  if (beta !== undefined) base.bmm.beta = beta;
  const warmup = number(flags, 'warmup');
  if (warmup !== undefined) base.bmm.warmup = warmup;
  if (alpha !== undefined && !(alpha > 0)) throw new ConfigError('alpha', `alpha must be a number > 0, got ${alpha}`);
  validateConfig(base);
  const exportPath = flags.get('export') ?? null;
  if (exportPath !== null && !exportPath.endsWith('.safetensors')) throw new UsageError(`--export expects a file name ending in .safetensors, got "${exportPath}"`);
  return { command: 'train', config: base, dataset: 'demo', json: flags.has('json') && flags.get('json') !== 'false', exportPath, exportTfjsDir: flags.get('export-tfjs') ?? null, weightsPath: flags.get('weights') ?? null };
}
