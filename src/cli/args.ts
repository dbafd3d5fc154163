/**
 * Command-line parsing for `bmm-lab train`, `bmm-lab pack` and `bmm-lab eval` with Node's `util.parseArgs`. Every
 * setting of the settings table is a flag named by its path (`--bmm.beta 2`, `--augment off`), with the table's
 * aliases kept (`--beta`, `--warmup`, and `--alpha` for the chosen method's alpha); the `--help` text is written
 * from the table too. `--config RUN.json` starts from a run config and the flags override it. Messages name the
 * flag (or the file and the field) and the allowed values.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { parseArgs as nodeParseArgs } from 'node:util';
import { cpus } from 'node:os';
import {
  ALL_SETTINGS,
  BACKENDS,
  ConfigError,
  describeRange,
  getSetting,
  makeConfig,
  parseSettingValue,
  PRESET_SIZES,
  PRESETS,
  resolveSetting,
  setSetting,
  SETTING_ALIASES,
  validateConfig,
  type Setting,
  type SettingValue,
  type TrainConfig,
} from '../core/config';
import { readRunConfig } from '../core/settingsDocument';
import { CHECKPOINT_JSON, readCheckpointConfig } from './checkpointFiles';
import { fsErrorText } from '../data/node/fsErrors';
import { TABLE_FORMATS, type TableFormat } from '../core/resultsTable';
import type { TableArgs } from './tableCommand';
import { pairFromName, PAIR_NAMES, type ModalityPair } from '../core/modalities';

export type DecoderChoice = 'auto' | 'ffmpeg' | 'wasm';
export const DECODERS: readonly DecoderChoice[] = ['auto', 'ffmpeg', 'wasm'];

/** How a dataset folder is decoded (`--jobs`, `--cache`, `--decoder`, `--max-frames`). */
export interface DecodeFlags {
  /** Clips decoded at once; null: min(cores, 4). */
  jobs: number | null;
  /** The cache folder; undefined: FOLDER/.bmm-lab-cache; null: `--cache off`. */
  cache: string | null | undefined;
  decoder: DecoderChoice;
  /** Cap on the 1 fps frames kept per clip; null: the page's default for the preset. */
  maxFrames: number | null;
  /** The pair of modalities to decode; null: the folder's default (UCF-101 with flow: RGB + flow). */
  modalities: ModalityPair | null;
}

/** A setting the command line changed from the run config's value. */
export interface ConfigOverride {
  path: string;
  from: SettingValue;
  to: SettingValue;
  /** The flag that changed it (`--epochs`, or `--preset` for a preset's sizes). */
  flag: string;
}

export interface TrainArgs {
  command: 'train';
  config: TrainConfig;
  /** The built-in demo, or `--data DIR`: a dataset pack (pack.json) or a dataset folder in a layout the lab reads. */
  dataset: { kind: 'demo' } | { kind: 'dir'; dir: string };
  decode: DecodeFlags;
  /** `--config RUN.json`: the file and what the flags changed in it. */
  configFile: { path: string; overrides: ConfigOverride[] } | null;
  /** Settings given on the command line (by path), as opposed to defaults and preset sizes. */
  explicit: Set<string>;
  /** `--trace FILE.jsonl`: one JSON object per optimisation step. */
  tracePath: string | null;
  json: boolean;
  exportPath: string | null;
  exportTfjsDir: string | null;
  weightsPath: string | null;
  /** `--teacher-audio`, `--teacher-visual` (method umt): exported weights of an audio-only and a visual-only run. */
  teachers: { audio: string; visual: string } | null;
  /** `--checkpoint DIR`: a checkpoint after every completed epoch. */
  checkpointDir: string | null;
  /** `--resume`: continue from the checkpoint in checkpointDir. */
  resume: boolean;
  /** `--threads N`: threads of the wasm backend (1: TF.js's single-threaded build, its only one in Node). */
  threads: number;
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

/** `bmm-lab pack [FOLDER] --out DIR`: a dataset folder (or, without one, the demo dataset) written as a dataset pack. */
export interface PackArgs {
  command: 'pack';
  config: TrainConfig;
  out: string;
  /** The dataset folder; null: the demo dataset of the settings. */
  source: string | null;
  /** Largest shard, in bytes. */
  maxShardBytes: number;
  decode: DecodeFlags;
}

export type CliArgs = TrainArgs | EvalArgs | PackArgs | TableArgs | HelpArgs;
export type { TableArgs };

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** Flags that say how a dataset folder is decoded (train --data FOLDER, pack FOLDER). */
const DECODE_OPTIONS = {
  jobs: { type: 'string', help: 'folders: clips decoded at once with the system ffmpeg (default min(cores, 4))', value: 'N' },
  cache: { type: 'string', help: 'folders: decode cache folder, or off (default FOLDER/.bmm-lab-cache)', value: 'DIR|off' },
  decoder: { type: 'string', help: 'folders: ffmpeg (the system one), wasm (ffmpeg.wasm) or auto (ffmpeg when on PATH)', value: 'auto|ffmpeg|wasm' },
  'max-frames': { type: 'string', help: "folders: 1 fps frames kept per clip (default the page's: tiny 3, fast 2, paper 1)", value: 'K' },
  modalities: { type: 'string', help: 'folders: the two branches to decode and train (default audio+rgb; UCF-101 with flow: rgb+flow)', value: PAIR_NAMES.join('|') },
} as const;

/** Flags of `train` that are not settings. */
const TRAIN_OPTIONS = {
  config: { type: 'string', help: 'start from this run config ({"format":"bmm-lab-run",...}); flags override it', value: 'RUN.json' },
  dataset: { type: 'string', help: 'dataset: demo (the built-in synthetic set; the default)', value: 'NAME' },
  data: { type: 'string', help: 'a dataset pack (a folder with pack.json; input sizes come from it) or a dataset folder in any layout the lab reads', value: 'DIR' },
  trace: { type: 'string', help: 'write one JSON object per optimisation step (indices, loss, perm, lambda, m, weak, coef, blend, greedy), and FILE.run.json', value: 'FILE.jsonl' },
  weights: { type: 'string', help: 'start from these weights (lab export or PyTorch state_dict)', value: 'FILE.safetensors' },
  'teacher-audio': { type: 'string', help: "method umt: the audio teacher, an audio-only run's exported weights", value: 'A.safetensors' },
  'teacher-visual': { type: 'string', help: "method umt: the visual teacher, a visual-only run's exported weights", value: 'V.safetensors' },
  json: { type: 'boolean', help: 'one JSON object per epoch, then {"summary": ...}' },
  export: { type: 'string', help: 'write the trained weights (PyTorch names, see README) and the run config beside them (FILE.run.json)', value: 'FILE.safetensors' },
  'export-tfjs': { type: 'string', help: 'also write TF.js format (model.json + weights.bin + run.json)', value: 'DIR' },
  checkpoint: { type: 'string', help: 'write the checkpoint of every completed epoch into DIR (and run.json), so a stopped run can go on', value: 'DIR' },
  resume: { type: 'boolean', help: "continue from the checkpoint in --checkpoint DIR (its config, weights, optimiser, metrics); flags override its settings" },
  threads: { type: 'string', help: 'wasm backend: run it with N threads (default 1; at most the logical cores)', value: 'N' },
  ...DECODE_OPTIONS,
} as const;

/** Flags of `pack` that are not settings. */
const PACK_OPTIONS = {
  out: { type: 'string', help: 'the pack folder to write (pack.json and its shards)', value: 'DIR' },
  'shard-mb': { type: 'string', help: 'largest shard in MB (default 1000)', value: 'MB' },
  ...DECODE_OPTIONS,
} as const;

type OptionTable = Record<string, { type: 'string' | 'boolean'; help: string; value?: string }>;

function optionHelp(table: OptionTable): string[] {
  return Object.entries(table).map(([name, o]) => `  --${name}${o.value ? ` ${o.value}` : ''}`.padEnd(40) + ` ${o.help}`);
}

const TABLE_OPTIONS = {
  format: { type: 'string' },
  out: { type: 'string' },
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
  '  bmm-lab train [options]     train on the built-in demo dataset, a dataset pack or a dataset folder (--data DIR)',
  '  bmm-lab pack [FOLDER] --out DIR [options]   write a dataset folder (or the demo dataset) as a dataset pack',
  '  bmm-lab eval --weights W.safetensors --inputs IN.safetensors --out OUT.safetensors [--backend B]',
  '  bmm-lab table RUNS... [--format md|csv|latex] [--out FILE]   the results table (methods x datasets, mean ± std over',
  '                              seeds, the paper\'s numbers beside) of run folders and bmm-lab train --json files',
  '',
  'train options:',
  ...optionHelp(TRAIN_OPTIONS),
  '',
  'pack options (and the settings; --preset sets the decoded sizes):',
  ...optionHelp(PACK_OPTIONS),
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

/** util.parseArgs with the project's messages; at most `maxPositionals` arguments that are not flags. */
function parseFlags(argv: string[], options: ParseArgsOptions, maxPositionals = 0): { values: Record<string, string | boolean | undefined>; positionals: string[] } {
  // `--seed -4`: a negative number is the flag's value, not another flag.
  const args: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const name = argv[i].startsWith('--') ? argv[i].slice(2) : '';
    if (options?.[name]?.type === 'string' && /^-\.?\d/.test(argv[i + 1] ?? '')) args.push(`--${name}=${argv[++i]}`);
    else args.push(argv[i]);
  }
  try {
    const { values, positionals } = nodeParseArgs({ args, options, strict: true, allowPositionals: true });
    if (positionals.length > maxPositionals) throw new UsageError(`unexpected argument "${positionals[maxPositionals]}"\n\n${USAGE}`);
    return { values: values as Record<string, string | boolean | undefined>, positionals };
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

/**
 * The config the setting flags describe, starting from `base` (a run config) or the defaults: preset first (its
 * sizes replace the base's), then paths in table order, then aliases for the rest.
 */
function configFromFlags(values: Record<string, string | boolean | undefined>, explicit = new Set<string>(), base: TrainConfig | null = null): TrainConfig {
  const preset = values.preset;
  let config = base ?? makeConfig();
  if (typeof preset === 'string') {
    if (!PRESETS.includes(preset as TrainConfig['preset'])) throw new ConfigError('preset', `preset "${preset}" is not known; allowed values: ${PRESETS.join(', ')}`);
    config = base ? setSetting(base, 'preset', preset) : makeConfig({ preset: preset as TrainConfig['preset'] });
    explicit.add('preset');
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

function positiveInteger(flag: string, raw: string | boolean | undefined): number | null {
  if (raw === undefined) return null;
  const n = Number(raw);
  if (typeof raw !== 'string' || !/^\d+$/.test(raw.trim()) || !Number.isInteger(n) || n < 1) throw new UsageError(`--${flag} must be an integer >= 1, got "${String(raw)}"`);
  return n;
}

function decodeFlags(flags: Record<string, string | boolean | undefined>): DecodeFlags {
  const decoder = (flags.decoder ?? 'auto') as DecoderChoice;
  if (!DECODERS.includes(decoder)) throw new UsageError(`--decoder "${String(flags.decoder)}" is not known; allowed values: ${DECODERS.join(', ')}`);
  const cache = flags.cache as string | undefined;
  if (cache !== undefined && cache.trim() === '') throw new UsageError('--cache needs a folder, or off');
  return {
    jobs: positiveInteger('jobs', flags.jobs),
    cache: cache === undefined ? undefined : cache === 'off' ? null : cache,
    decoder,
    maxFrames: positiveInteger('max-frames', flags['max-frames']),
    modalities: modalitiesFlag(flags.modalities),
  };
}

function modalitiesFlag(raw: string | boolean | undefined): ModalityPair | null {
  if (raw === undefined) return null;
  const pair = typeof raw === 'string' ? pairFromName(raw) : null;
  if (!pair) throw new UsageError(`--modalities "${String(raw)}" is not known; allowed values: ${PAIR_NAMES.join(', ')}`);
  return pair;
}

/** The run config in `path` (its messages name the file and the field). */
function readConfigFile(path: string): TrainConfig {
  if (!existsSync(path)) throw new UsageError(`--config ${path}: no such file`);
  if (statSync(path).isDirectory()) throw new UsageError(`--config ${path}: is a folder; give a run config file (RUN.json)`);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new UsageError(`--config ${path}: the file cannot be read (${fsErrorText(e)})`);
  }
  return readRunConfig(text, path);
}

/** `--resume`: the config of the checkpoint in `dir`, validated (messages name the flag and the file). */
function readResumeConfig(dir: string): TrainConfig {
  const file = `${dir.replace(/\/+$/, '')}/${CHECKPOINT_JSON}`;
  if (!existsSync(file)) throw new UsageError(`--resume: no checkpoint in --checkpoint ${dir} (${file} does not exist; a run writes it after its first epoch)`);
  try {
    return validateConfig(readCheckpointConfig(dir).config);
  } catch (e) {
    if (e instanceof ConfigError) throw new ConfigError(e.field, `--resume: ${file}: ${e.message}`);
    throw new UsageError(`--resume: ${e instanceof Error && !(e as { code?: string }).code ? e.message : `${file} cannot be read (${fsErrorText(e)})`}`);
  }
}

/** The settings whose value the command line changed from the run config's. */
function overridesOf(base: TrainConfig, config: TrainConfig, explicit: Set<string>): ConfigOverride[] {
  const out: ConfigOverride[] = [];
  for (const s of ALL_SETTINGS) {
    const from = getSetting(base, s.path);
    const to = getSetting(config, s.path);
    if (from === to) continue;
    // A group switched on by one of its settings (stepLr by --stepLr.step), a size set by the preset.
    const child = [...explicit].find((e) => e.startsWith(`${s.path}.`));
    const bySize = explicit.has('preset') && s.path in PRESET_SIZES[config.preset];
    const flag = explicit.has(s.path) ? `--${s.path}` : child ? `--${child}` : bySize ? '--preset' : `--${s.path}`;
    out.push({ path: s.path, from, to, flag });
  }
  return out;
}

export function parseArgs(argv: string[]): CliArgs {
  const [command, ...rest] = argv;
  if (command === undefined || command === 'help' || command === '--help' || command === '-h') return { command: 'help' };
  if (command === 'eval') {
    const { values: flags } = parseFlags(rest, EVAL_OPTIONS);
    for (const f of ['weights', 'inputs', 'out']) if (!flags[f]) throw new UsageError(`eval needs --${f}\n\n${USAGE}`);
    const backend = (flags.backend ?? 'auto') as TrainConfig['backend'];
    if (!BACKENDS.includes(backend)) throw new ConfigError('backend', `backend "${backend}" is not known; allowed values: ${BACKENDS.join(', ')}`);
    return { command: 'eval', weights: String(flags.weights), inputs: String(flags.inputs), out: String(flags.out), backend };
  }
  if (command === 'table') {
    if (rest.includes('--help') || rest.includes('-h')) return { command: 'help' };
    const { values: flags, positionals } = parseFlags(rest, TABLE_OPTIONS, Infinity);
    if (positionals.length === 0) throw new UsageError(`table needs at least one run folder or file (RUNS...)\n\n${USAGE}`);
    const format = (flags.format ?? 'md') as TableFormat;
    if (!TABLE_FORMATS.includes(format)) throw new UsageError(`--format "${String(flags.format)}" is not known; allowed values: ${TABLE_FORMATS.join(', ')}`);
    const out = (flags.out as string | undefined) ?? null;
    if (out !== null && out.trim() === '') throw new UsageError('--out needs a file name');
    return { command: 'table', inputs: positionals, format, out };
  }
  if (command !== 'train' && command !== 'pack') throw new UsageError(`unknown command "${command}"; use train, pack, eval or table\n\n${USAGE}`);
  if (rest.includes('--help') || rest.includes('-h')) return { command: 'help' };
  if (command === 'pack') {
    const packOptions: ParseArgsOptions = Object.fromEntries(Object.entries(PACK_OPTIONS).map(([k, o]) => [k, { type: o.type }]));
    const { values: flags, positionals } = parseFlags(rest, { ...packOptions, ...settingOptions() }, 1);
    if (!flags.out) throw new UsageError(`pack needs --out DIR\n\n${USAGE}`);
    let maxShardBytes = 1e9;
    if (flags['shard-mb'] !== undefined) {
      const mb = Number(flags['shard-mb']);
      if (!(Number.isFinite(mb) && mb > 0)) throw new UsageError(`--shard-mb must be a number of MB > 0, got "${String(flags['shard-mb'])}"`);
      maxShardBytes = Math.floor(mb * 1e6);
    }
    return { command: 'pack', config: configFromFlags(flags), out: String(flags.out), source: positionals[0] ?? null, maxShardBytes, decode: decodeFlags(flags) };
  }
  const trainOptions: ParseArgsOptions = Object.fromEntries(Object.entries(TRAIN_OPTIONS).map(([k, o]) => [k, { type: o.type }]));
  const { values: flags } = parseFlags(rest, { ...trainOptions, ...settingOptions() });
  const datasetName = flags.dataset as string | undefined;
  const dataDir = flags.data as string | undefined;
  if (datasetName !== undefined && dataDir !== undefined) throw new UsageError('give either --dataset demo or --data DIR, not both');
  if (datasetName !== undefined && datasetName !== 'demo') {
    throw new ConfigError('dataset', `dataset "${datasetName}" is not known; allowed values: demo (other data: --data DIR with a dataset pack or a dataset folder)`);
  }
  const configPath = flags.config as string | undefined;
  if (configPath !== undefined && configPath.trim() === '') throw new UsageError('--config needs a file name');
  const checkpointDir = (flags.checkpoint as string | undefined) ?? null;
  if (checkpointDir !== null && checkpointDir.trim() === '') throw new UsageError('--checkpoint needs a folder');
  const resume = flags.resume === true;
  if (resume && checkpointDir === null) throw new UsageError('--resume needs --checkpoint DIR (the folder the run wrote its checkpoints to)');
  // A resumed run starts from its checkpoint's config unless --config says otherwise; flags override either.
  const base = configPath !== undefined ? readConfigFile(configPath) : resume ? readResumeConfig(checkpointDir!) : null;
  const explicit = new Set<string>();
  const config = configFromFlags(flags, explicit, base);
  const exportPath = (flags.export as string | undefined) ?? null;
  if (exportPath !== null && !exportPath.endsWith('.safetensors')) throw new UsageError(`--export expects a file name ending in .safetensors, got "${exportPath}"`);
  const tracePath = (flags.trace as string | undefined) ?? null;
  if (tracePath !== null && tracePath.trim() === '') throw new UsageError('--trace needs a file name');
  const teacherAudio = flags['teacher-audio'] as string | undefined;
  const teacherVisual = flags['teacher-visual'] as string | undefined;
  if (config.method === 'umt' && (!teacherAudio || !teacherVisual)) {
    throw new UsageError("--method umt needs --teacher-audio A.safetensors and --teacher-visual V.safetensors: the exported weights of an audio-only and a visual-only run on the same data (train them first with --method audio-only / visual-only --export)");
  }
  if (config.method !== 'umt' && (teacherAudio || teacherVisual)) throw new UsageError(`--teacher-audio and --teacher-visual are for --method umt, not ${config.method}`);
  const threads = threadsFlag(flags.threads as string | undefined, config.backend);
  return {
    command: 'train',
    config,
    dataset: dataDir !== undefined ? { kind: 'dir', dir: dataDir } : { kind: 'demo' },
    decode: decodeFlags(flags),
    configFile: base ? { path: configPath ?? `${checkpointDir!.replace(/\/+$/, '')}/${CHECKPOINT_JSON}`, overrides: overridesOf(base, config, explicit) } : null,
    explicit,
    tracePath,
    json: flags.json === true,
    exportPath,
    exportTfjsDir: (flags['export-tfjs'] as string | undefined) ?? null,
    weightsPath: (flags.weights as string | undefined) ?? null,
    teachers: teacherAudio && teacherVisual ? { audio: teacherAudio, visual: teacherVisual } : null,
    checkpointDir,
    resume,
    threads,
  };
}

/** `--threads N`: a whole number from 1 to the logical cores, for the wasm backend (or `auto`, wasm in Node). */
function threadsFlag(value: string | undefined, backend: TrainConfig['backend']): number {
  if (value === undefined) return 1;
  const n = Number(value);
  const cores = Math.max(1, cpus().length);
  if (!/^\d+$/.test(value.trim()) || n < 1 || n > cores) throw new UsageError(`--threads must be a whole number from 1 to ${cores} (this machine's logical cores), got "${value}"`);
  if (n > 1 && backend !== 'wasm' && backend !== 'auto') throw new UsageError(`--threads is for the wasm backend; --backend is ${backend}`);
  return n;
}
