import { describe, expect, it } from 'vitest';
import { AUDIO_FLOW, AUDIO_RGB, branchLabel, branchWord, capitalised, rhoFormula, rhoSide, RGB_FLOW, sharedPair, soloBranch, soloMethodLabel, strongerText } from './modalities';

describe('the page\u2019s names of the branches', () => {
  it('say the kinds under one pair, "first" / "second branch" for several', () => {
    expect(sharedPair([RGB_FLOW, ['rgb', 'flow']], AUDIO_RGB)).toBe(RGB_FLOW);
    expect(sharedPair([RGB_FLOW, AUDIO_FLOW], AUDIO_RGB)).toBeNull();
    expect(sharedPair([], AUDIO_FLOW)).toBe(AUDIO_FLOW);
    expect([branchLabel(RGB_FLOW, 'audio'), branchLabel(RGB_FLOW, 'visual')]).toEqual(['RGB', 'Flow']);
    expect([branchLabel(null, 'audio'), capitalised(branchLabel(null, 'visual'))]).toEqual(['first branch', 'Second branch']);
    expect([branchWord(AUDIO_RGB, 'audio'), branchWord(RGB_FLOW, 'visual')]).toEqual(['audio', 'flow']);
  });

  it('put rho as s_first / s_second with the side each branch is stronger on, and a value in words', () => {
    expect(rhoFormula(RGB_FLOW)).toBe('s_RGB / s_Flow');
    expect(rhoFormula(AUDIO_RGB)).toBe('s_Audio / s_RGB');
    expect(rhoFormula(null)).toBe('s_first / s_second');
    expect([rhoSide(RGB_FLOW, '>'), rhoSide(RGB_FLOW, '<')]).toEqual(['> 1: RGB stronger', '< 1: Flow stronger']);
    expect([strongerText(RGB_FLOW, 1.3), strongerText(RGB_FLOW, 0.7), strongerText(RGB_FLOW, 1), strongerText(RGB_FLOW, Number.NaN)]).toEqual([
      'RGB stronger',
      'Flow stronger',
      'neither stronger',
      'neither stronger',
    ]);
  });

  it('name the methods trained on one branch by its kind', () => {
    expect([soloBranch('audio-only'), soloBranch('visual-only'), soloBranch('bmm')]).toEqual(['audio', 'visual', null]);
    expect(soloMethodLabel('audio-only', RGB_FLOW)).toBe('RGB only');
    expect(soloMethodLabel('visual-only', AUDIO_RGB)).toBe('RGB only');
    expect(soloMethodLabel('audio-only', null)).toBe('First branch only');
    expect(soloMethodLabel('erm', RGB_FLOW)).toBeNull();
  });
});
