import { describe, expect, it } from 'vitest';
import { formatDuration } from './formatDuration';

describe('formatDuration', () => {
  it('writes seconds, then minutes and seconds, then hours and minutes', () => {
    expect(formatDuration(0)).toBe('0s');
    expect(formatDuration(42.4)).toBe('42s');
    expect(formatDuration(59)).toBe('59s');
    expect(formatDuration(61)).toBe('1m 01s');
    expect(formatDuration(187)).toBe('3m 07s');
    expect(formatDuration(3599)).toBe('59m 59s');
    expect(formatDuration(3600)).toBe('1h 00m');
    expect(formatDuration(7500)).toBe('2h 05m');
    expect(formatDuration(90061)).toBe('25h 01m'); // 1 day 1 h 1 min 1 s: no days, the seconds dropped
  });

  it('rounds to the second first, so 59.6 s is a whole minute', () => {
    expect(formatDuration(59.4)).toBe('59s');
    expect(formatDuration(59.6)).toBe('1m 00s');
    expect(formatDuration(3599.5)).toBe('1h 00m');
  });

  it('says "<1s" for a moment, 0s for nothing or less, and – when unknown', () => {
    expect(formatDuration(0.3)).toBe('<1s');
    expect(formatDuration(0.5)).toBe('1s');
    expect(formatDuration(-4)).toBe('0s');
    expect(formatDuration(null)).toBe('–');
    expect(formatDuration(NaN)).toBe('–');
    expect(formatDuration(Infinity)).toBe('–');
  });
});
