/**
 * The settings table as plain JSON for other implementations (the Python package reads
 * `python/bmm_lab/settings.json`, written by `npm run settings:export`; a test keeps the file equal to this), and
 * the run-config document the lab exports and the PyTorch trainer reads:
 * `{"format": "bmm-lab-run", "version": 1, "config": {...}}`.
 */
import { ALL_SETTINGS, PRESET_SIZES, validateConfig, ConfigError, makeConfig, type TrainConfig } from './config';

export const SETTINGS_FORMAT = 'bmm-lab-settings';
export const RUN_CONFIG_FORMAT = 'bmm-lab-run';
export const RUN_CONFIG_VERSION = 1;

/** The table with every field a reader needs (kinds, defaults, ranges, values, methods, conditions, groups). */
export function settingsDocument(): string {
  return `${JSON.stringify({ format: SETTINGS_FORMAT, version: 1, presets: PRESET_SIZES, settings: ALL_SETTINGS }, null, 2)}\n`;
}

/** A run's config as the document the lab exports ("Export run config") and `bmm_lab.train --config` reads. */
export function runConfigDocument(config: TrainConfig): string {
  return `${JSON.stringify({ format: RUN_CONFIG_FORMAT, version: RUN_CONFIG_VERSION, config }, null, 2)}\n`;
}

/**
 * Reads a run-config document (or a bare config object): missing settings take their defaults (after the
 * preset's sizes), then the whole config is validated. `source` names the file in messages.
 */
export function readRunConfig(text: string, source: string): TrainConfig {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new ConfigError('config', `${source}: not JSON (${e instanceof Error ? e.message : String(e)})`);
  }
  if (doc === null || typeof doc !== 'object') throw new ConfigError('config', `${source}: expected a JSON object`);
  const d = doc as { format?: unknown; version?: unknown; config?: unknown };
  let raw: unknown = doc;
  if (d.format !== undefined) {
    if (d.format !== RUN_CONFIG_FORMAT) throw new ConfigError('format', `${source}: format "${String(d.format)}" is not "${RUN_CONFIG_FORMAT}"`);
    if (d.version !== RUN_CONFIG_VERSION) throw new ConfigError('version', `${source}: version ${String(d.version)} is not supported (this lab reads version ${RUN_CONFIG_VERSION})`);
    raw = d.config;
  }
  if (raw === null || typeof raw !== 'object') throw new ConfigError('config', `${source}: "config" must be an object`);
  const known = new Set(ALL_SETTINGS.map((s) => s.path.split('.')[0]));
  const paths = new Set(ALL_SETTINGS.map((s) => s.path));
  for (const [key, value] of Object.entries(raw)) {
    if (!known.has(key)) throw new ConfigError(key, `${source}: unknown setting "${key}"`);
    // A typo inside a group (bmm.bta) is refused too, never silently dropped.
    if (value !== null && typeof value === 'object') {
      for (const sub of Object.keys(value)) if (!paths.has(`${key}.${sub}`)) throw new ConfigError(`${key}.${sub}`, `${source}: unknown setting "${key}.${sub}"`);
    }
  }
  try {
    return validateConfig(makeConfig(raw as Parameters<typeof makeConfig>[0]));
  } catch (e) {
    if (e instanceof ConfigError) throw new ConfigError(e.field, `${source}: ${e.message}`);
    throw e;
  }
}
