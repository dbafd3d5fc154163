import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { scheduleStaggered } from './stagger';

describe('scheduleStaggered', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('runs one job at a time, in order, each after the previous one says it is done', () => {
    const log: string[] = [];
    const dones: (() => void)[] = [];
    for (const name of ['a', 'b', 'c']) {
      scheduleStaggered((done) => {
        log.push(name);
        dones.push(done);
      });
    }
    expect(log).toEqual([]);
    vi.runAllTimers();
    expect(log).toEqual(['a']);
    dones[0]();
    dones[0]();
    vi.runAllTimers();
    expect(log).toEqual(['a', 'b']);
    dones[1]();
    vi.runAllTimers();
    expect(log).toEqual(['a', 'b', 'c']);
    dones[2]();
  });

  it('drops a job cancelled before its turn', () => {
    const log: string[] = [];
    scheduleStaggered((done) => {
      log.push('a');
      done();
    });
    const cancel = scheduleStaggered(() => log.push('b'));
    scheduleStaggered((done) => {
      log.push('c');
      done();
    });
    cancel();
    vi.runAllTimers();
    expect(log).toEqual(['a', 'c']);
  });
});
