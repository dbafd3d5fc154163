import { describe, expect, expectTypeOf, it } from 'vitest';
import {
  ConfigError,
  DEFAULT_CONFIG,
  getSetting,
  makeConfig,
  resolveSetting,
  setSetting,
  settingApplies,
  validateConfig,
  type TrainConfig,
} from './config';
import { SETTINGS } from './settings';

describe('the config derived from the settings table', () => {
  it('has the defaults of METHOD.md and the fast preset', () => {
    expect(DEFAULT_CONFIG).toMatchObject({
      method: 'bmm',
      fusion: 'concat',
      preset: 'fast',
      epochs: 10,
      batch: 32,
      lr: 1e-3,
      weightDecay: 1e-4,
      stepLr: null,
      seed: 0,
      mm: { alpha: 0.5 },
      // The lab's choices since (METHOD.md section 8): m bounded at 0.5, BatchNorm statistics recomputed for evaluation.
      bmm: { beta: 1, warmup: 5, coef: 'tanh(beta*(r-1))', level: 'input', targets: 'weak', sample: 'fixed', maxM: 0.5, rhoSmoothing: 0, ramp: 0 },
      unimodal: 'zero',
      bnStats: 'precise',
      ogm: { alpha: 0.8, mode: 'ogm-ge', start: 0, end: 50 },
      mmpareto: { gamma: 1.5 },
      agm: { alpha: 0.1 },
      pmr: { alpha: 0.1, momentum: 0.5 },
      width: 0.25,
      audioHeight: 129,
      audioWidth: 94,
      visualSize: 112,
      frames: 1,
      augment: true,
      backend: 'auto',
      featuresEvery: 1,
      featuresMax: 2000,
    });
  });

  it('has the nested type of its paths', () => {
    expectTypeOf<TrainConfig['bmm']['coef']>().toEqualTypeOf<'tanh(beta*(r-1))' | 'tanh(beta*r)'>();
    expectTypeOf<TrainConfig['stepLr']>().toEqualTypeOf<{ step: number; gamma: number } | null>();
    expectTypeOf<TrainConfig['augment']>().toEqualTypeOf<boolean>();
    expectTypeOf<TrainConfig['method']>().toEqualTypeOf<'erm' | 'mm' | 'bmm' | 'ogm-ge' | 'audio-only' | 'visual-only' | 'mmpareto' | 'agm' | 'pmr' | 'umt' | 'gblend' | 'greedy'>();
  });

  it('declares each path once, with a default its own check accepts', () => {
    const paths = SETTINGS.map((s) => s.path);
    expect(new Set(paths).size).toBe(paths.length);
    expect(validateConfig(DEFAULT_CONFIG)).toBe(DEFAULT_CONFIG);
  });
});

describe('reading and writing by path', () => {
  it('sets nested values without touching the original', () => {
    const c = setSetting(DEFAULT_CONFIG, 'bmm.beta', 3);
    expect(c.bmm.beta).toBe(3);
    expect(DEFAULT_CONFIG.bmm.beta).toBe(1);
    expect(getSetting(c, 'bmm.beta')).toBe(3);
  });

  it('applies a preset’s sizes', () => {
    const c = setSetting(DEFAULT_CONFIG, 'preset', 'tiny');
    expect([c.width, c.audioHeight, c.audioWidth, c.visualSize, c.batch, c.epochs]).toEqual([0.125, 33, 24, 32, 16, 2]);
  });

  it('kinetics-sounds is the paper’s sizes with 3 frames per clip; the other presets take 1', () => {
    const ks = setSetting(setSetting(DEFAULT_CONFIG, 'frames', 5), 'preset', 'kinetics-sounds');
    expect([ks.width, ks.audioHeight, ks.audioWidth, ks.visualSize, ks.frames, ks.batch, ks.epochs]).toEqual([1, 257, 188, 224, 3, 64, 60]);
    expect(setSetting(ks, 'preset', 'paper').frames).toBe(1);
    expect(makeConfig({ preset: 'kinetics-sounds' }).frames).toBe(3);
    expect(validateConfig(makeConfig({ preset: 'kinetics-sounds' })).preset).toBe('kinetics-sounds');
  });

  it('switches an optional group on with its defaults, or by setting a child, and off to null', () => {
    expect(setSetting(DEFAULT_CONFIG, 'stepLr', true).stepLr).toEqual({ step: 30, gamma: 0.1 });
    expect(setSetting(DEFAULT_CONFIG, 'stepLr.gamma', 0.5).stepLr).toEqual({ step: 30, gamma: 0.5 });
    expect(setSetting(makeConfig({ stepLr: { step: 3, gamma: 0.5 } }), 'stepLr', false).stepLr).toBeNull();
    expect(getSetting(DEFAULT_CONFIG, 'stepLr.step')).toBe(30);
    expect(getSetting(DEFAULT_CONFIG, 'stepLr')).toBe(false);
  });

  it('refuses unknown paths', () => {
    expect(() => setSetting(DEFAULT_CONFIG, 'bmm.gamma', 1)).toThrow(/unknown setting "bmm.gamma"/);
  });
});

describe('which settings apply', () => {
  it('follows the methods and the conditions on settings that apply', () => {
    const bmm = makeConfig({ method: 'bmm' });
    expect(settingApplies(bmm, 'bmm.beta')).toBe(true);
    expect(settingApplies(bmm, 'ogm.alpha')).toBe(false);
    // mm.alpha: always for MM, for B-MM only with sample = beta.
    expect(settingApplies(bmm, 'mm.alpha')).toBe(false);
    expect(settingApplies(makeConfig({ method: 'bmm', bmm: { sample: 'beta' } }), 'mm.alpha')).toBe(true);
    expect(settingApplies(makeConfig({ method: 'mm' }), 'mm.alpha')).toBe(true);
    expect(settingApplies(makeConfig({ method: 'erm' }), 'mm.alpha')).toBe(false);
    expect(settingApplies(bmm, 'stepLr.step')).toBe(false);
    expect(settingApplies(makeConfig({ stepLr: { step: 3, gamma: 0.5 } }), 'stepLr.step')).toBe(true);
    expect(settingApplies(bmm, 'epochs')).toBe(true);
  });

  it('resolves short names, alpha by the method', () => {
    expect(resolveSetting('beta', makeConfig({ method: 'erm' })).path).toBe('bmm.beta');
    expect(resolveSetting('alpha', makeConfig({ method: 'mm' })).path).toBe('mm.alpha');
    expect(resolveSetting('alpha', makeConfig({ method: 'bmm' })).path).toBe('mm.alpha');
    expect(resolveSetting('alpha', makeConfig({ method: 'ogm-ge' })).path).toBe('ogm.alpha');
    expect(resolveSetting('alpha', makeConfig({ method: 'umt' })).path).toBe('umt.alpha');
    expect(() => resolveSetting('alpha', makeConfig({ method: 'erm' }))).toThrow(/"alpha" is short for mm.alpha \(mm, bmm\) or ogm.alpha \(ogm-ge\) or agm.alpha \(agm\) or pmr.alpha \(pmr\) or umt.alpha \(umt\); method erm uses none of them/);
    expect(() => resolveSetting('gamma', DEFAULT_CONFIG)).toThrow(ConfigError);
  });
});

describe('validateConfig', () => {
  const bad = (c: unknown) => {
    try {
      validateConfig(c as TrainConfig);
    } catch (e) {
      return e instanceof ConfigError ? [e.field, e.message] : ['?', String(e)];
    }
    return null;
  };

  it('names the first bad setting by path and what it accepts', () => {
    expect(bad({ ...DEFAULT_CONFIG, method: 'sgd' })).toEqual(['method', 'method "sgd" is not known; allowed values: erm, mm, bmm, ogm-ge, audio-only, visual-only, mmpareto, agm, pmr, umt, gblend, greedy']);
    expect(bad({ ...DEFAULT_CONFIG, epochs: 0 })).toEqual(['epochs', 'epochs must be an integer >= 1, got 0']);
    expect(bad({ ...DEFAULT_CONFIG, lr: 0 })).toEqual(['lr', 'lr must be a number > 0, got 0']);
    expect(bad({ ...DEFAULT_CONFIG, width: 5 })).toEqual(['width', 'width must be a number > 0 and <= 4, got 5']);
    expect(bad({ ...DEFAULT_CONFIG, batch: 2.5 })).toEqual(['batch', 'batch must be an integer >= 2, got 2.5']);
    expect(bad({ ...DEFAULT_CONFIG, lr: Number.NaN })).toEqual(['lr', 'lr is missing; expected a number > 0']);
    expect(bad({ ...DEFAULT_CONFIG, lr: '0.1' })).toEqual(['lr', 'lr must be a number > 0, got "0.1"']);
    expect(bad({ ...DEFAULT_CONFIG, bmm: { ...DEFAULT_CONFIG.bmm, beta: -1 } })).toEqual(['bmm.beta', 'bmm.beta must be a number > 0, got -1']);
    expect(bad({ ...DEFAULT_CONFIG, bmm: { ...DEFAULT_CONFIG.bmm, level: 'x' } })).toEqual(['bmm.level', 'bmm.level "x" is not known; allowed values: input, feature']);
    expect(bad({ ...DEFAULT_CONFIG, ogm: undefined })).toEqual(['ogm', 'ogm is missing; expected { alpha, mode, start, end }']);
    expect(bad({ ...DEFAULT_CONFIG, stepLr: 3 })).toEqual(['stepLr', 'stepLr must be null or { step, gamma }']);
    expect(bad({ ...DEFAULT_CONFIG, stepLr: { step: 0, gamma: 0.1 } })).toEqual(['stepLr.step', 'stepLr.step must be an integer >= 1, got 0']);
    expect(bad({ ...DEFAULT_CONFIG, augment: 'yes' })).toEqual(['augment', 'augment must be true or false']);
    expect(bad({ ...DEFAULT_CONFIG, frames: 17 })).toEqual(['frames', 'frames must be an integer >= 1 and <= 16, got 17']);
    expect(bad(null)).toEqual(['config', 'config must be an object']);
    expect(bad({ ...DEFAULT_CONFIG, fusion: 'film', unimodal: 'half-bias' })).toEqual(['unimodal', 'unimodal half-bias is defined for concat, sum, decision fusion, not film; use zero or mean']);
    expect(bad({ ...DEFAULT_CONFIG, bmm: { ...DEFAULT_CONFIG.bmm, maxM: 1.5 } })).toEqual(['bmm.maxM', 'bmm.maxM must be a number > 0 and <= 1, got 1.5']);
  });

  it('bounds the batch by the training set when its size is known', () => {
    expect(() => validateConfig(makeConfig({ batch: 64 }), 40)).toThrow('batch 64 is larger than the training set (40 clips); use at most 40');
    expect(validateConfig(makeConfig({ batch: 40 }), 40).batch).toBe(40);
  });
});
