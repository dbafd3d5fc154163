import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeConfig } from './config';
import { readRunConfig, runConfigDocument, settingsDocument } from './settingsDocument';

describe('settings for other implementations', () => {
  it('python/bmm_lab/settings.json is the table as it is now (npm run settings:export)', () => {
    const file = readFileSync(join(import.meta.dirname, '..', '..', 'python', 'bmm_lab', 'settings.json'), 'utf8');
    expect(file).toBe(settingsDocument());
  });
});

describe('run config documents', () => {
  it('round-trip a config', () => {
    const config = makeConfig({ method: 'ogm-ge', preset: 'tiny', ogm: { alpha: 0.3 }, stepLr: { step: 4, gamma: 0.5 } });
    expect(readRunConfig(runConfigDocument(config), 'RUN.json')).toEqual(config);
  });

  it('fill what is missing from the defaults and the preset', () => {
    expect(readRunConfig('{"preset":"tiny","bmm":{"beta":2}}', 'x.json')).toEqual(makeConfig({ preset: 'tiny', bmm: { beta: 2 } }));
  });

  it('refuse other formats and versions, unknown and bad settings, naming the file', () => {
    expect(() => readRunConfig('{"format":"bmm-lab-run","version":2,"config":{}}', 'RUN.json')).toThrow('RUN.json: version 2 is not supported (this lab reads version 1)');
    expect(() => readRunConfig('{"format":"other","version":1,"config":{}}', 'RUN.json')).toThrow('RUN.json: format "other" is not "bmm-lab-run"');
    expect(() => readRunConfig('{"epochz":3}', 'RUN.json')).toThrow('RUN.json: unknown setting "epochz"');
    expect(() => readRunConfig('{"bmm":{"bta":2}}', 'RUN.json')).toThrow('RUN.json: unknown setting "bmm.bta"');
    expect(() => readRunConfig('{"bmm":{"beta":-1}}', 'RUN.json')).toThrow('RUN.json: bmm.beta must be a number > 0, got -1');
    expect(() => readRunConfig('{', 'RUN.json')).toThrow(/RUN.json: not JSON/);
  });
});
