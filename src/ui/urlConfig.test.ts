import { describe, expect, it } from 'vitest';
import { ALL_SETTINGS, checkSetting, makeConfig, setSetting, validateConfig, type Setting, type SettingValue, type TrainConfig } from '../core/config';

/** A valid value of a setting other than its default (read off the table, so a new setting is covered as is). */
function otherValue(s: Setting): SettingValue {
  if (s.kind === 'bool') return !s.default;
  if (s.kind === 'enum') return s.values.find((v) => v !== s.default)!;
  const candidates = s.integer ? [s.default + 1, s.default - 1] : [s.default * 0.5, s.default + (s.step ?? 0.1), s.default - (s.step ?? 0.1)];
  const ok = candidates.find((v) => v !== s.default && checkSetting(s, v) === null);
  if (ok === undefined) throw new Error(`no other value found for ${s.path}`);
  return ok;
}
import { configFromLocation, configFromParams, configToParams, hashWithoutConfig, searchWithConfig } from './urlConfig';

function roundTrip(config: TrainConfig): TrainConfig {
  return configFromParams(new URLSearchParams(configToParams(config).toString())).config;
}

describe('configToParams', () => {
  it('writes nothing for the defaults', () => {
    expect(configToParams(makeConfig()).toString()).toBe('');
  });

  it('writes only non-default values, preset sizes counting as defaults', () => {
    const config = makeConfig({ preset: 'tiny', method: 'ogm-ge', seed: 3 });
    expect(configToParams(config).toString()).toBe('method=ogm-ge&preset=tiny&seed=3');
  });
});

describe('round trip', () => {
  it('restores a config with every field away from its default', () => {
    const config: TrainConfig = makeConfig({
      method: 'ogm-ge',
      fusion: 'film',
      preset: 'paper',
      epochs: 7,
      batch: 48,
      lr: 0.0003,
      weightDecay: 0,
      stepLr: { step: 12, gamma: 0.5 },
      seed: -4,
      mm: { alpha: 0.25 },
      bmm: { beta: 2.5, warmup: 1, coef: 'tanh(beta*r)', level: 'feature', targets: 'original', sample: 'beta', maxM: 0.5, rhoSmoothing: 0.3 },
      unimodal: 'mean',
      ogm: { alpha: 0.1, mode: 'ogm', start: 2, end: 9 },
      width: 0.5,
      audioHeight: 65,
      audioWidth: 47,
      visualSize: 56,
      frames: 3,
      augment: false,
      backend: 'wasm',
      featuresEvery: 2,
      featuresMax: 500,
    });
    expect(roundTrip(config)).toEqual(config);
  });

  it('restores each setting of the table set alone to a value other than its default, under its own key', () => {
    const base = makeConfig();
    for (const setting of ALL_SETTINGS) {
      const value = otherValue(setting);
      const config = setSetting(base, setting.path, value);
      expect(validateConfig(config), setting.path).toBe(config);
      expect(configToParams(config).has(setting.path), setting.path).toBe(true);
      expect(roundTrip(config), setting.path).toEqual(config);
    }
  });

  it('round-trips StepLR on with default step and gamma, and off', () => {
    const on = makeConfig({ stepLr: { step: 30, gamma: 0.1 } });
    expect(configToParams(on).toString()).toBe('stepLr=true');
    expect(roundTrip(on)).toEqual(on);
    expect(roundTrip(makeConfig())).toEqual(makeConfig());
  });
});

describe('keys', () => {
  it('are the settings\' paths', () => {
    const config = makeConfig({ method: 'mm', mm: { alpha: 0.4 }, bmm: { beta: 2 } });
    expect(configToParams(config).toString()).toBe('method=mm&mm.alpha=0.4&bmm.beta=2');
  });

  it('reads the old short names, alpha for the chosen method', () => {
    expect(configFromParams(new URLSearchParams('method=ogm-ge&alpha=0.3&beta=3&warmup=2')).config).toEqual(
      makeConfig({ method: 'ogm-ge', ogm: { alpha: 0.3 }, bmm: { beta: 3, warmup: 2 } }),
    );
    expect(configFromParams(new URLSearchParams('alpha=0.3')).config).toEqual(makeConfig({ mm: { alpha: 0.3 } }));
    // The path wins over its alias.
    expect(configFromParams(new URLSearchParams('beta=3&bmm.beta=4')).config.bmm.beta).toBe(4);
  });

  it('replaces short names when the config moves into the query', () => {
    expect(searchWithConfig('?beta=3&debug=1', makeConfig({ bmm: { beta: 3 } }))).toBe('?debug=1&bmm.beta=3');
  });
});

describe('configFromParams with junk', () => {
  it('falls back per field with a notice', () => {
    const { config, notices } = configFromParams(new URLSearchParams('method=magic&epochs=abc&lr=-1&batch=2.5&augment=maybe&seed=7&preset=huge&zzz=1'));
    const defaults = makeConfig();
    expect(config).toEqual({ ...defaults, seed: 7 });
    expect(notices).toHaveLength(6);
    expect(notices.join('\n')).toContain('preset "huge"');
    expect(notices.join('\n')).toContain('method "magic"');
    expect(notices.join('\n')).toContain('epochs "abc" is not a number');
    expect(notices.join('\n')).toContain('batch "2.5" is not an integer');
    expect(notices.join('\n')).toContain('augment "maybe"');
    expect(notices.join('\n')).toMatch(/lr must be a number > 0, got -1; using the default 0.001/);
  });

  it('resets several out-of-range fields one by one', () => {
    const { config, notices } = configFromParams(new URLSearchParams('epochs=0&frames=99&width=0.5'));
    expect(config).toEqual(makeConfig({ width: 0.5 }));
    expect(notices).toHaveLength(2);
  });

  it('applies a valid preset before the other values', () => {
    const { config, notices } = configFromParams(new URLSearchParams('preset=tiny&epochs=5'));
    expect(notices).toEqual([]);
    expect(config).toEqual(makeConfig({ preset: 'tiny', epochs: 5 }));
  });
});

describe('location helpers', () => {
  it('reads the hash on top of the query', () => {
    const { config } = configFromLocation('?seed=1&method=mm', '#seed=5');
    expect(config.seed).toBe(5);
    expect(config.method).toBe('mm');
  });

  it('replaces config keys in the query and keeps others', () => {
    const config = makeConfig({ seed: 9 });
    expect(searchWithConfig('?debug=1&seed=3&method=erm', config)).toBe('?debug=1&seed=9');
    expect(searchWithConfig('?seed=3', makeConfig())).toBe('');
    expect(hashWithoutConfig('#seed=3&tab=runs')).toBe('#tab=runs');
    expect(hashWithoutConfig('#runs')).toBe('#runs');
  });
});
