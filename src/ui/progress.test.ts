import { describe, expect, it } from 'vitest';
import { etaSeconds, formatPercent, progressFraction } from './progress';

describe('progress', () => {
  it('computes the fraction done over all epochs', () => {
    expect(progressFraction(1, 0, 10, 4)).toBe(0);
    expect(progressFraction(2, 5, 10, 4)).toBe(1.5 / 4);
    expect(progressFraction(4, 10, 10, 4)).toBe(1);
  });

  it('extrapolates time left from the active time', () => {
    expect(etaSeconds(0, 10)).toBeNull();
    expect(etaSeconds(0.25, 30)).toBe(90); // 30 s for a quarter: 90 s for the other three
    expect(etaSeconds(1, 30)).toBe(0);
    // Resumed at half way, 10 s to reach 0.75: 10 s more for the last quarter.
    expect(etaSeconds(0.75, 10, 0.5)).toBe(10);
  });

  it('formats percentages', () => {
    expect(formatPercent(0.625)).toBe('62.5%');
    expect(formatPercent(null)).toBe('–');
  });
});
