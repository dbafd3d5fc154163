/**
 * Command-line parsing for `bmm-lab train` and `bmm-lab eval` with Node's `util.parseArgs`. Every setting of the
 * settings table is a flag named by its path (`--bmm.beta 2`, `--augment off`), with the table's aliases kept
 * (`--beta`, `--warmup`, and `--alpha` for the chosen method's alpha); the `--help` text is written from the
 * table too. Messages name the flag and its allowed values.
 */
import { parseArgs as nodeParseArgs } from 'node:util';
import {
  ALL_SETTINGS,
  BACKENDS,
  ConfigError,
  describeRange,
  makeConfig,
  parseSettingValue,
  PRESETS,
  resolveSetting,
  setSetting,
  SETTING_ALIASES,
  validateConfig,
  type Setting,
  type TrainConfig,
} from '../core/config';

export interface TrainArgs {
  command: 'train';
  config: TrainConfig;
  /** The built-in demo, or a dataset pack folder (`--data`). */
  dataset: { kind: 'demo' } | { kind: 'pack'; dir: string };
  /** Settings given on the command line (by path), as opposed to defaults and preset sizes. */
  explicit: Set<string>;
  /** `--trace FILE.jsonl`: one JSON object per optimisation step. */
  tracePath: string | null;
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

/** `bmm-lab pack --out DIR`: the demo dataset of the settings, written as a dataset pack. */
export interface PackArgs {
  command: 'pack';
  config: TrainConfig;
  out: string;
}

export type CliArgs = TrainArgs | EvalArgs | PackArgs | HelpArgs;

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** Flags of `train` that are not settings. */
const TRAIN_OPTIONS = {
  dataset: { type: 'string', help: 'dataset: demo (the built-in synthetic set; the default)', value: 'NAME' },
  data: { type: 'string', help: 'train on a dataset pack: a folder with pack.json (README, "Dataset packs"); input sizes come from it', value: 'DIR' },
  trace: { type: 'string', help: 'write one JSON object per optimisation step (indices, loss, perm, lambda, m, weak, coef)', value: 'FILE.jsonl' },
  weights: { type: 'string', help: 'start from these weights (lab export or PyTorch state_dict)', value: 'FILE.safetensors' },
  json: { type: 'boolean', help: 'one JSON object per epoch, then {"summary": ...}' },
  export: { type: 'string', help: 'write the trained weights (PyTorch names, see README)', value: 'FILE.safetensors' },
  'export-tfjs': { type: 'string', help: 'also write TF.js format (model.json + weights.bin)', value: 'DIR' },
} as const;

const EVAL_OPTIONS = {
  weights: { type: 'string' },
  inputs: { type: 'string' },
  out: { type: 'string' },
  backend: { type: 'string' },
} as const;

function settingHelp(s: Setting): string {
  const values = s.kind === 'enum' ? s.values.join('|') : s.kind === 'bool' ? 'on|off' : describeRange(s).replace(/^an? /, '');
  const methods = s.methods ? ` [${s.methods.join(', ')}]` : '';
  const aliases = s.aliases?.length ? `; also --${s.aliases.join(', --')}` : '';
  return `  --${s.path} ${values}`.padEnd(40) + ` ${s.help}${methods} (default ${s.kind === 'bool' ? (s.default ? 'on' : 'off') : String(s.default)}${aliases})`;
}

export const USAGE = [
  'Usage:',
  '  bmm-lab train [options]     train on the built-in demo dataset or a dataset pack (--data DIR)',
  '  bmm-lab pack --out DIR [settings]   write the demo dataset of these settings as a dataset pack',
  '  bmm-lab eval --weights W.safetensors --inputs IN.safetensors --out OUT.safetensors [--backend B]',
  '',
  'train options:',
  ...Object.entries(TRAIN_OPTIONS).map(([name, o]) => `  --${name}${'value' in o ? ` ${o.value}` : ''}`.padEnd(40) + ` ${o.help}`),
  '',
  'settings (each --path VALUE; [methods] it applies to; a preset sets width, input sizes, batch and epochs first):',
  ...ALL_SETTINGS.map(settingHelp),
].join('\n');

type ParseArgsOptions = NonNullable<Parameters<typeof nodeParseArgs>[0]>['options'];

function settingOptions(): ParseArgsOptions {
  const options: ParseArgsOptions = {};
  for (const s of ALL_SETTINGS) options[s.path] = { type: 'string' };
  for (const alias of SETTING_ALIASES.keys()) options[alias] = { type: 'string' };
  return options;
}

/** util.parseArgs with the project's messages. */
function parseFlags(argv: string[], options: ParseArgsOptions): Record<string, string | boolean | undefined> {
  // `--seed -4`: a negative number is the flag's value, not another flag.
  const args: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const name = argv[i].startsWith('--') ? argv[i].slice(2) : '';
    if (options?.[name]?.type === 'string' && /^-\.?\d/.test(argv[i + 1] ?? '')) args.push(`--${name}=${argv[++i]}`);
    else args.push(argv[i]);
  }
  try {
    const { values, positionals } = nodeParseArgs({ args, options, strict: true, allowPositionals: true });
    if (positionals.length) throw new UsageError(`unexpected argument "${positionals[0]}"\n\n${USAGE}`);
    return values as Record<string, string | boolean | undefined>;
  } catch (e) {
    if (e instanceof UsageError) throw e;
    const text = e instanceof Error ? e.message : String(e);
    const code = (e as { code?: string }).code;
    const flag = /'(-[^' ]+)/.exec(text)?.[1] ?? '';
    if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') throw new UsageError(`unknown option ${flag}; see bmm-lab --help`);
    if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' && /argument missing/.test(text)) throw new UsageError(`${flag} needs a value`);
    throw new UsageError(text);
  }
}

function kindWord(s: Setting): string {
  if (s.kind === 'enum') return `one of ${s.values.join(', ')}`;
  if (s.kind === 'bool') return 'on or off';
  return s.integer ? 'an integer' : 'a number';
}

/** The config the setting flags describe: preset first, then paths in table order, then aliases for the rest. */
function configFromFlags(values: Record<string, string | boolean | undefined>, explicit = new Set<string>()): TrainConfig {
  const preset = values.preset;
  let config = makeConfig();
  if (typeof preset === 'string') {
    if (!PRESETS.includes(preset as TrainConfig['preset'])) throw new ConfigError('preset', `preset "${preset}" is not known; allowed values: ${PRESETS.join(', ')}`);
    config = makeConfig({ preset: preset as TrainConfig['preset'] });
  }
  const set = new Set<string>(['preset']);
  const apply = (name: string, setting: Setting, raw: string) => {
    if (set.has(setting.path)) return;
    set.add(setting.path);
    explicit.add(setting.path);
    const parsed = parseSettingValue(setting, raw);
    if (!parsed.ok) {
      if (setting.kind === 'enum') throw new ConfigError(setting.path, `${setting.path} "${raw}" is not known; allowed values: ${setting.values.join(', ')}`);
      throw new ConfigError(setting.path, `--${name} must be ${kindWord(setting)}, got "${raw}"`);
    }
    config = setSetting(config, setting.path, parsed.value);
  };
  for (const s of ALL_SETTINGS) {
    const raw = values[s.path];
    if (typeof raw === 'string') apply(s.path, s, raw);
  }
  for (const alias of SETTING_ALIASES.keys()) {
    const raw = values[alias];
    if (typeof raw === 'string') apply(alias, resolveSetting(alias, config), raw);
  }
  return validateConfig(config);
}

export function parseArgs(argv: string[]): CliArgs {
  const [command, ...rest] = argv;
  if (command === undefined || command === 'help' || command === '--help' || command === '-h') return { command: 'help' };
  if (command === 'eval') {
    const flags = parseFlags(rest, EVAL_OPTIONS);
    for (const f of ['weights', 'inputs', 'out']) if (!flags[f]) throw new UsageError(`eval needs --${f}\n\n${USAGE}`);
    const backend = (flags.backend ?? 'auto') as TrainConfig['backend'];
    if (!BACKENDS.includes(backend)) throw new ConfigError('backend', `backend "${backend}" is not known; allowed values: ${BACKENDS.join(', ')}`);
    return { command: 'eval', weights: String(flags.weights), inputs: String(flags.inputs), out: String(flags.out), backend };
  }
  if (command !== 'train' && command !== 'pack') throw new UsageError(`unknown command "${command}"; use train, pack or eval\n\n${USAGE}`);
  if (rest.includes('--help') || rest.includes('-h')) return { command: 'help' };
  if (command === 'pack') {
    const flags = parseFlags(rest, { out: { type: 'string' }, ...settingOptions() });
    if (!flags.out) throw new UsageError(`pack needs --out DIR\n\n${USAGE}`);
    return { command: 'pack', config: configFromFlags(flags), out: String(flags.out) };
  }
  const trainOptions: ParseArgsOptions = Object.fromEntries(Object.entries(TRAIN_OPTIONS).map(([k, o]) => [k, { type: o.type }]));
  const flags = parseFlags(rest, { ...trainOptions, ...settingOptions() });
  const datasetName = flags.dataset as string | undefined;
  const dataDir = flags.data as string | undefined;
  if (datasetName !== undefined && dataDir !== undefined) throw new UsageError('give either --dataset demo or --data DIR, not both');
  if (datasetName !== undefined && datasetName !== 'demo') {
    throw new ConfigError('dataset', `dataset "${datasetName}" is not known; allowed values: demo (other data: --data DIR with a dataset pack, or the browser lab for folders)`);
  }
  const explicit = new Set<string>();
  const config = configFromFlags(flags, explicit);
  const exportPath = (flags.export as string | undefined) ?? null;
  if (exportPath !== null && !exportPath.endsWith('.safetensors')) throw new UsageError(`--export expects a file name ending in .safetensors, got "${exportPath}"`);
  const tracePath = (flags.trace as string | undefined) ?? null;
  if (tracePath !== null && tracePath.trim() === '') throw new UsageError('--trace needs a file name');
  return {
    command: 'train',
    config,
    dataset: dataDir !== undefined ? { kind: 'pack', dir: dataDir } : { kind: 'demo' },
    explicit,
    tracePath,
    json: flags.json === true,
    exportPath,
    exportTfjsDir: (flags['export-tfjs'] as string | undefined) ?? null,
    weightsPath: (flags.weights as string | undefined) ?? null,
  };
}
