/**
 * The one typed configuration of a training run, derived from the settings table (`settings.ts`): its type,
 * defaults, reading and writing a setting by its dotted path, which settings apply to a config, and validation.
 * It is plain JSON, so it round-trips through the URL, checkpoints and exported runs. `validateConfig` names the
 * first bad setting (by path) and the values it accepts.
 */
import { PRESET_SIZES, SETTINGS, type PresetSizes, type Setting, type SettingPath } from './settings';

export { PRESET_SIZES, SETTINGS, type BoolSetting, type EnumSetting, type NumberSetting, type PresetSizes, type Setting, type SettingPath, type SettingSection } from './settings';

/** The table widened to plain `Setting`s, for code that walks it at run time. */
export const ALL_SETTINGS: readonly Setting[] = SETTINGS;
const BY_PATH = new Map<string, Setting>(ALL_SETTINGS.map((s) => [s.path, s]));

type Entry = (typeof SETTINGS)[number];
type ValueOf<E> = E extends { kind: 'number' } ? number : E extends { kind: 'bool' } ? boolean : E extends { kind: 'enum'; values: readonly (infer V)[] } ? V : never;
type Flat = { [E in Entry as E['path']]: ValueOf<E> };
type GroupPath = Extract<Entry, { optionalGroup: true }>['path'];
type Head<K> = K extends `${infer H}.${string}` ? H : never;
type Sub<M, H extends string> = { [K in keyof M as K extends `${H}.${infer R}` ? R : never]: M[K] };
type Simplify<T> = { [K in keyof T]: T[K] } & {};
type Nest<M> = Simplify<
  { -readonly [K in keyof M as K extends `${string}.${string}` ? never : K extends Head<keyof M> ? never : K]: M[K] } & {
    -readonly [H in Head<keyof M>]: H extends GroupPath ? Nest<Sub<M, H>> | null : Nest<Sub<M, H>>;
  }
>;

/** A training run's configuration: one field per setting of the table, nested by path. */
export type TrainConfig = Nest<Flat>;

type EnumValues<P extends SettingPath> = Extract<Entry, { path: P }> extends { values: infer V } ? V : never;

function valuesOf<P extends SettingPath>(path: P): EnumValues<P> {
  return (ALL_SETTINGS.find((s) => s.path === path) as unknown as { values: EnumValues<P> }).values;
}

export const METHODS = valuesOf('method');
export const FUSIONS = valuesOf('fusion');
export const PRESETS = valuesOf('preset');
export const BACKENDS = valuesOf('backend');

export type MethodName = TrainConfig['method'];
export type FusionName = TrainConfig['fusion'];
export type PresetName = TrainConfig['preset'];
export type BackendChoice = TrainConfig['backend'];
export type BackendName = Exclude<BackendChoice, 'auto'>;
export type MmOptions = TrainConfig['mm'];
export type BmmOptions = TrainConfig['bmm'];
export type OgmOptions = TrainConfig['ogm'];
export type MmParetoOptions = TrainConfig['mmpareto'];
export type AgmOptions = TrainConfig['agm'];
export type StepLrOptions = NonNullable<TrainConfig['stepLr']>;
export type UnimodalScore = TrainConfig['unimodal'];

/** Fusions whose head splits into one linear part per modality (where `unimodal = half-bias` is defined). */
export const HALF_BIAS_FUSIONS: readonly FusionName[] = ['concat', 'sum', 'decision'];

// The preset table covers exactly the preset setting's values.
const _presetsCovered: Record<PresetName, PresetSizes> = PRESET_SIZES;
void _presetsCovered;

export type SettingValue = string | number | boolean;


/** The setting at `path`, or undefined. */
export function settingAt(path: string): Setting | undefined {
  return BY_PATH.get(path);
}

/** The optional group a setting belongs to (`stepLr` for `stepLr.step`), if any. */
function groupOf(setting: Setting): Setting | undefined {
  const dot = setting.path.lastIndexOf('.');
  if (dot < 0) return undefined;
  const parent = BY_PATH.get(setting.path.slice(0, dot));
  return parent && parent.kind === 'bool' && parent.optionalGroup ? parent : undefined;
}

/** False for a child of an optional group that is switched off (StepLR's step while StepLR is off). */
export function settingPresent(config: TrainConfig, path: string): boolean {
  const setting = BY_PATH.get(path);
  const group = setting && groupOf(setting);
  return !group || getSetting(config, group.path) === true;
}

function childrenOf(group: Setting): Setting[] {
  return ALL_SETTINGS.filter((s) => s.path.startsWith(`${group.path}.`));
}

type Json = Record<string, unknown>;

/** A setting's value in `config`; a child of a group that is off reads as its default. */
export function getSetting(config: TrainConfig, path: string): SettingValue {
  const setting = BY_PATH.get(path);
  if (!setting) throw new Error(`unknown setting "${path}"`);
  if (setting.kind === 'bool' && setting.optionalGroup) return (config as unknown as Json)[path] != null;
  let node: unknown = config;
  for (const key of path.split('.')) {
    if (node === null || node === undefined) return setting.default;
    node = (node as Json)[key];
  }
  return (node ?? setting.default) as SettingValue;
}

/**
 * `config` with one setting changed (a new object; `config` is left alone). `preset` also applies the preset's
 * sizes; switching an optional group on fills it with its children's defaults; setting a child switches it on.
 */
export function setSetting(config: TrainConfig, path: string, value: SettingValue): TrainConfig {
  const setting = BY_PATH.get(path);
  if (!setting) throw new Error(`unknown setting "${path}"`);
  const next = structuredClone(config) as unknown as Json;
  if (setting.kind === 'bool' && setting.optionalGroup) {
    if (!value) next[path] = null;
    else if (next[path] == null) next[path] = Object.fromEntries(childrenOf(setting).map((c) => [c.path.slice(path.length + 1), c.default]));
    return next as unknown as TrainConfig;
  }
  const group = groupOf(setting);
  let base = next as unknown as TrainConfig;
  if (group && getSetting(base, group.path) !== true) base = setSetting(base, group.path, true);
  const root = base as unknown as Json;
  const keys = path.split('.');
  let node = root;
  for (const key of keys.slice(0, -1)) {
    if (node[key] === null || typeof node[key] !== 'object') node[key] = {};
    node = node[key] as Json;
  }
  node[keys[keys.length - 1]] = value;
  if (path === 'preset') Object.assign(root, PRESET_SIZES[value as PresetName]);
  return root as unknown as TrainConfig;
}

/**
 * Whether a setting matters for this config: its method applies, and its `when` conditions on settings that
 * themselves apply hold.
 */
export function settingApplies(config: TrainConfig, path: string): boolean {
  const setting = BY_PATH.get(path);
  if (!setting) return false;
  if (setting.methods && !setting.methods.includes(config.method)) return false;
  for (const [other, allowed] of Object.entries(setting.when ?? {})) {
    if (other !== path && settingApplies(config, other) && !(allowed as readonly SettingValue[]).includes(getSetting(config, other))) return false;
  }
  return true;
}

function defaultConfig(): TrainConfig {
  let config = {} as TrainConfig;
  for (const s of ALL_SETTINGS) {
    if (groupOf(s)) continue;
    config = s.kind === 'bool' && s.optionalGroup ? ({ ...config, [s.path]: s.default ? {} : null } as TrainConfig) : setSetting(config, s.path, s.default);
  }
  return config;
}

export const DEFAULT_CONFIG: TrainConfig = defaultConfig();

type Overrides = { [K in keyof TrainConfig]?: TrainConfig[K] extends object ? Partial<TrainConfig[K]> | null : TrainConfig[K] };

/** The default config with a preset's sizes applied, then `overrides` (nested groups are merged). */
export function makeConfig(overrides: Overrides = {}): TrainConfig {
  const preset = overrides.preset ?? DEFAULT_CONFIG.preset;
  const config = { ...structuredClone(DEFAULT_CONFIG), ...(PRESET_SIZES[preset] ?? PRESET_SIZES.fast) } as unknown as Json;
  const defaults = DEFAULT_CONFIG as unknown as Json;
  for (const [key, value] of Object.entries(overrides)) {
    const base = defaults[key];
    config[key] = value !== null && typeof value === 'object' && base !== null && typeof base === 'object' ? { ...base, ...value } : value;
  }
  config.preset = preset;
  return config as unknown as TrainConfig;
}

/** Raised for an invalid config; `field` is the setting's path. */
export class ConfigError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** What a number setting accepts, in words: "an integer >= 1", "a number > 0 and <= 4". */
export function describeRange(s: Setting): string {
  if (s.kind === 'enum') return `one of ${s.values.join(', ')}`;
  if (s.kind === 'bool') return 'true or false';
  const n = s as { integer?: boolean; min?: number; minExclusive?: number; max?: number };
  return (
    (n.integer ? 'an integer' : 'a number') +
    (n.minExclusive !== undefined ? ` > ${n.minExclusive}` : n.min !== undefined ? ` >= ${n.min}` : '') +
    (n.max !== undefined ? ` and <= ${n.max}` : '')
  );
}

/** Why `value` is not allowed for `setting`, as a ConfigError; null when it is. */
export function checkSetting(setting: Setting, value: unknown): ConfigError | null {
  const field = setting.path;
  switch (setting.kind) {
    case 'enum': {
      const allowed = setting.values.join(', ');
      if (value === undefined || value === null || value === '') return new ConfigError(field, `${field} is missing; allowed values: ${allowed}`);
      if (!setting.values.includes(value as string)) return new ConfigError(field, `${field} "${String(value)}" is not known; allowed values: ${allowed}`);
      return null;
    }
    case 'bool':
      return typeof value === 'boolean' ? null : new ConfigError(field, `${field} must be true or false`);
    case 'number': {
      const range = describeRange(setting);
      if (value === undefined || value === null || (typeof value === 'number' && Number.isNaN(value))) return new ConfigError(field, `${field} is missing; expected ${range}`);
      if (typeof value !== 'number' || !Number.isFinite(value)) return new ConfigError(field, `${field} must be ${range}, got ${JSON.stringify(value)}`);
      const n = setting as { integer?: boolean; min?: number; minExclusive?: number; max?: number };
      if (
        (n.integer && !Number.isInteger(value)) ||
        (n.min !== undefined && value < n.min) ||
        (n.minExclusive !== undefined && value <= n.minExclusive) ||
        (n.max !== undefined && value > n.max)
      ) {
        return new ConfigError(field, `${field} must be ${range}, got ${value}`);
      }
      return null;
    }
  }
}

/**
 * Checks every setting in table order; throws a ConfigError naming the first bad one and the allowed values.
 * `trainSize`, when given, also bounds the batch size.
 */
export function validateConfig(config: TrainConfig, trainSize?: number): TrainConfig {
  if (config === null || typeof config !== 'object') throw new ConfigError('config', 'config must be an object');
  const json = config as unknown as Json;
  for (const s of ALL_SETTINGS) {
    const group = groupOf(s);
    if (group && json[group.path] == null) continue;
    const top = s.path.split('.')[0];
    if (s.path.includes('.') && !group && (json[top] === null || typeof json[top] !== 'object')) {
      const children = ALL_SETTINGS.filter((c) => c.path.startsWith(`${top}.`)).map((c) => c.path.slice(top.length + 1));
      throw new ConfigError(top, `${top} is missing; expected { ${children.join(', ')} }`);
    }
    if (s.kind === 'bool' && s.optionalGroup) {
      if (json[s.path] !== null && typeof json[s.path] !== 'object') {
        throw new ConfigError(s.path, `${s.path} must be null or { ${childrenOf(s).map((c) => c.path.slice(s.path.length + 1)).join(', ')} }`);
      }
      continue;
    }
    let value: unknown = config;
    for (const key of s.path.split('.')) value = (value as Json | undefined)?.[key];
    const error = checkSetting(s, value);
    if (error) throw error;
    if (s.path === 'batch' && trainSize !== undefined && (value as number) > trainSize) {
      throw new ConfigError('batch', `batch ${String(value)} is larger than the training set (${trainSize} clips); use at most ${trainSize}`);
    }
  }
  if ((config.method === 'audio-only' || config.method === 'visual-only') && config.unimodal !== 'zero') {
    throw new ConfigError('unimodal', `method ${config.method} trains the head with the other feature at zero, so its accuracy is the unimodal score with unimodal zero, not ${config.unimodal}; use --unimodal zero`);
  }
  if (config.unimodal === 'half-bias' && !HALF_BIAS_FUSIONS.includes(config.fusion)) {
    throw new ConfigError('unimodal', `unimodal half-bias is defined for ${HALF_BIAS_FUSIONS.join(', ')} fusion, not ${config.fusion}; use zero or mean`);
  }
  if (config.method === 'greedy' && config.microBatch > 0 && config.microBatch < config.batch) {
    throw new ConfigError('microBatch', 'method greedy does not support micro-batches (its MMTM running means and learning speeds are per step): unset microBatch');
  }
  if (config.method === 'gblend' && !(config.valSplit > 0)) {
    throw new ConfigError('valSplit', 'method gblend measures its loss weights on validation clips held out of the training split; set valSplit (e.g. 0.1)');
  }
  return config;
}

export type ParsedValue = { ok: true; value: SettingValue } | { ok: false; why: string };

/** A setting's value from text (a URL parameter, a CLI flag): the kind only; ranges are `validateConfig`'s job. */
export function parseSettingValue(setting: Setting, raw: string): ParsedValue {
  const text = raw.trim();
  switch (setting.kind) {
    case 'enum':
      return setting.values.includes(text) ? { ok: true, value: text } : { ok: false, why: `is not one of ${setting.values.join(', ')}` };
    case 'number': {
      const value = text === '' ? Number.NaN : Number(text);
      if (!Number.isFinite(value)) return { ok: false, why: 'is not a number' };
      if (setting.integer && !Number.isInteger(value)) return { ok: false, why: 'is not an integer' };
      return { ok: true, value };
    }
    case 'bool': {
      const lower = text.toLowerCase();
      if (['true', '1', 'on', 'yes'].includes(lower)) return { ok: true, value: true };
      if (['false', '0', 'off', 'no'].includes(lower)) return { ok: true, value: false };
      return { ok: false, why: 'is not true or false (on/off)' };
    }
  }
}

/** Every alias of the table with the settings that carry it. */
export const SETTING_ALIASES: ReadonlyMap<string, readonly Setting[]> = (() => {
  const map = new Map<string, Setting[]>();
  for (const s of ALL_SETTINGS) for (const a of s.aliases ?? []) map.set(a, [...(map.get(a) ?? []), s]);
  return map;
})();

/**
 * The setting a name means for `config`: a path, or an alias (`beta` -> `bmm.beta`; `alpha` -> the alpha of the
 * config's method). An Error says why when it names nothing, or nothing that applies to the method.
 */
export function resolveSetting(name: string, config: TrainConfig): Setting {
  const direct = BY_PATH.get(name);
  if (direct) return direct;
  const candidates = SETTING_ALIASES.get(name);
  if (!candidates) throw new ConfigError(name, `unknown setting "${name}"`);
  if (candidates.length === 1) return candidates[0];
  const applying = candidates.filter((s) => !s.methods || s.methods.includes(config.method));
  if (applying.length === 1) return applying[0];
  throw new ConfigError(
    name,
    `"${name}" is short for ${candidates.map((s) => `${s.path} (${s.methods?.join(', ') ?? 'all methods'})`).join(' or ')}; method ${config.method} uses none of them`,
  );
}
