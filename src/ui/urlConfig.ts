/**
 * The whole TrainConfig round-trips through the URL query (`?method=mm&mm.alpha=0.4`, keys are the settings'
 * paths; the old short names `alpha`, `beta`, `warmup` are still read), so a setup is shared as a
 * link. Only values that differ from the defaults (of the chosen preset) are written. Reading is tolerant: a bad
 * value falls back to its default and a notice says which and why. Parameters in the hash (`#seed=3`) are read
 * too and win over the query.
 */
import {
  ALL_SETTINGS,
  ConfigError,
  getSetting,
  makeConfig,
  parseSettingValue,
  PRESETS,
  resolveSetting,
  setSetting,
  settingAt,
  settingPresent,
  validateConfig,
  type PresetName,
  type Setting,
  type TrainConfig,
} from '../core/config';

/** What the config is compared with: the defaults with the preset's sizes. */
function baseConfig(preset: PresetName): TrainConfig {
  return makeConfig({ preset });
}

function valueString(config: TrainConfig, setting: Setting): string {
  return String(getSetting(config, setting.path));
}

/** The non-default settings of `config` as URL parameters (keyed by path), in the table's order. */
export function configToParams(config: TrainConfig): URLSearchParams {
  const base = baseConfig(config.preset);
  const params = new URLSearchParams();
  for (const setting of ALL_SETTINGS) {
    if (!settingPresent(config, setting.path)) continue;
    const value = valueString(config, setting);
    const preset = setting.path === 'preset';
    if (preset ? config.preset !== makeConfig().preset : value !== valueString(base, setting)) params.set(setting.path, value);
  }
  return params;
}

/** The config the parameters describe, and a notice for each value that was ignored. Unknown keys are left alone. */
export function configFromParams(params: URLSearchParams): { config: TrainConfig; notices: string[] } {
  const notices: string[] = [];
  let preset = makeConfig().preset;
  const rawPreset = params.get('preset');
  if (rawPreset !== null) {
    if ((PRESETS as readonly string[]).includes(rawPreset.trim())) preset = rawPreset.trim() as PresetName;
    else notices.push(`URL: preset "${rawPreset}" is not one of ${PRESETS.join(', ')}; using ${preset}`);
  }
  const base = baseConfig(preset);
  let config = base;
  // Paths in the table's order first, then the old short names (`alpha`, `beta`, `warmup`) for what is not set.
  const keys = [...params.keys()].filter((k) => k !== 'preset');
  const ordered = [...ALL_SETTINGS.map((s) => s.path).filter((p) => keys.includes(p)), ...keys.filter((k) => !settingAt(k))];
  const seen = new Set<string>();
  for (const key of ordered) {
    const raw = params.get(key)!;
    let setting: Setting;
    try {
      setting = resolveSetting(key, config);
    } catch {
      continue; // not ours: other parameters of the page are left alone
    }
    if (seen.has(setting.path)) continue;
    seen.add(setting.path);
    const parsed = parseSettingValue(setting, raw);
    if (parsed.ok) config = setSetting(config, setting.path, parsed.value);
    else notices.push(`URL: ${key} "${raw}" ${parsed.why}; using the default ${valueString(base, setting)}`);
  }
  // Values of the right type can still be out of range (epochs=0): reset the field validateConfig names.
  for (let attempt = 0; attempt <= ALL_SETTINGS.length; attempt++) {
    try {
      validateConfig(config);
      return { config, notices };
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      const setting = settingAt(err.field);
      const reset = setting ? setSetting(config, setting.path, getSetting(base, setting.path)) : base;
      if (!setting || valueString(reset, setting) === valueString(config, setting)) {
        notices.push(`URL: ${err.message}; using the default settings`);
        return { config: base, notices };
      }
      notices.push(`URL: ${err.message}; using the default ${valueString(base, setting)}`);
      config = reset;
    }
  }
  return { config: base, notices };
}

/** Every URL key that belongs to the config: paths and their short aliases. */
const CONFIG_KEYS = [...ALL_SETTINGS.flatMap((s) => [s.path, ...(s.aliases ?? [])])];

/** The parameters of a location: the query, then the hash's parameters on top. */
export function paramsFromLocation(search: string, hash: string): URLSearchParams {
  const params = new URLSearchParams(search.startsWith('?') ? search.slice(1) : search);
  const fromHash = new URLSearchParams(hash.startsWith('#') ? hash.slice(1) : hash);
  for (const [key, value] of fromHash) params.set(key, value);
  return params;
}

/** Reads the config from a location's query and hash. */
export function configFromLocation(search: string, hash: string): { config: TrainConfig; notices: string[] } {
  return configFromParams(paramsFromLocation(search, hash));
}

/** A new query string for `config`: the config's keys replaced, any other parameters kept. '' when empty. */
export function searchWithConfig(search: string, config: TrainConfig): string {
  const params = new URLSearchParams(search.startsWith('?') ? search.slice(1) : search);
  for (const key of CONFIG_KEYS) params.delete(key);
  for (const [key, value] of configToParams(config)) params.set(key, value);
  const text = params.toString();
  return text ? `?${text}` : '';
}

/** The hash with config keys removed (after the config moves into the query), '' when nothing is left. */
export function hashWithoutConfig(hash: string): string {
  if (!hash.includes('=')) return hash;
  const params = new URLSearchParams(hash.startsWith('#') ? hash.slice(1) : hash);
  for (const key of CONFIG_KEYS) params.delete(key);
  const text = params.toString();
  return text ? `#${text}` : '';
}
