/**
 * The whole TrainConfig round-trips through the URL query (`?method=mm&alpha=0.4`), so a setup is shared as a
 * link. Only values that differ from the defaults (of the chosen preset) are written. Reading is tolerant: a bad
 * value falls back to its default and a notice says which and why. Parameters in the hash (`#seed=3`) are read
 * too and win over the query.
 */
import { ConfigError, makeConfig, PRESETS, validateConfig, type PresetName, type TrainConfig } from '../core/config';
import { CONFIG_FIELDS, fieldByKey, fieldString, type ConfigField } from './configFields';

/** What the config is compared with: the defaults with the preset's sizes. */
function baseConfig(preset: PresetName): TrainConfig {
  return makeConfig({ preset });
}

function isEnabled(field: ConfigField, config: TrainConfig): boolean {
  return field.kind !== 'number' || !field.enabled || field.enabled(config);
}

/** The non-default settings of `config` as URL parameters, in the table's order. */
export function configToParams(config: TrainConfig): URLSearchParams {
  const base = baseConfig(config.preset);
  const params = new URLSearchParams();
  for (const field of CONFIG_FIELDS) {
    if (!isEnabled(field, config)) continue;
    const value = fieldString(config, field);
    const preset = field.key === 'preset';
    if (preset ? config.preset !== makeConfig().preset : value !== fieldString(base, field)) params.set(field.key, value);
  }
  return params;
}

type Parsed = { ok: true; value: string | number | boolean } | { ok: false; why: string };

function parseValue(field: ConfigField, raw: string): Parsed {
  const text = raw.trim();
  switch (field.kind) {
    case 'enum':
      return field.options.includes(text) ? { ok: true, value: text } : { ok: false, why: `is not one of ${field.options.join(', ')}` };
    case 'number': {
      const value = text === '' ? Number.NaN : Number(text);
      if (!Number.isFinite(value)) return { ok: false, why: 'is not a number' };
      if (field.integer && !Number.isInteger(value)) return { ok: false, why: 'is not an integer' };
      return { ok: true, value };
    }
    case 'bool': {
      const lower = text.toLowerCase();
      if (['true', '1', 'on', 'yes'].includes(lower)) return { ok: true, value: true };
      if (['false', '0', 'off', 'no'].includes(lower)) return { ok: true, value: false };
      return { ok: false, why: 'is not true or false' };
    }
  }
}

function setParsed(config: TrainConfig, field: ConfigField, value: string | number | boolean): TrainConfig {
  switch (field.kind) {
    case 'enum':
      return field.set(config, value as string);
    case 'number':
      return field.set(config, value as number);
    case 'bool':
      return field.set(config, value as boolean);
  }
}

/** Copies one field's value from `from` into `to`. */
function resetField(to: TrainConfig, from: TrainConfig, field: ConfigField): TrainConfig {
  return setParsed(to, field, field.get(from));
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
  for (const field of CONFIG_FIELDS) {
    if (field.key === 'preset') continue;
    const raw = params.get(field.key);
    if (raw === null) continue;
    const parsed = parseValue(field, raw);
    if (parsed.ok) config = setParsed(config, field, parsed.value);
    else notices.push(`URL: ${field.key} "${raw}" ${parsed.why}; using the default ${fieldString(base, field)}`);
  }
  // Values of the right type can still be out of range (epochs=0): reset the field validateConfig names.
  for (let attempt = 0; attempt <= CONFIG_FIELDS.length; attempt++) {
    try {
      validateConfig(config);
      return { config, notices };
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      const field = fieldByKey(err.field);
      const reset = field ? resetField(config, base, field) : base;
      if (!field || fieldString(reset, field) === fieldString(config, field)) {
        notices.push(`URL: ${err.message}; using the default settings`);
        return { config: base, notices };
      }
      notices.push(`URL: ${err.message}; using the default ${fieldString(base, field)}`);
      config = reset;
    }
  }
  return { config: base, notices };
}

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
  for (const field of CONFIG_FIELDS) params.delete(field.key);
  for (const [key, value] of configToParams(config)) params.set(key, value);
  const text = params.toString();
  return text ? `?${text}` : '';
}

/** The hash with config keys removed (after the config moves into the query), '' when nothing is left. */
export function hashWithoutConfig(hash: string): string {
  if (!hash.includes('=')) return hash;
  const params = new URLSearchParams(hash.startsWith('#') ? hash.slice(1) : hash);
  for (const field of CONFIG_FIELDS) params.delete(field.key);
  const text = params.toString();
  return text ? `#${text}` : '';
}
