import { describe, expect, it } from 'vitest';
import { Rng } from './random';

describe('Rng', () => {
  it('is reproducible from a seed and differs across seeds', () => {
    const a = new Rng(7);
    const b = new Rng(7);
    const c = new Rng(8);
    const xs = Array.from({ length: 5 }, () => a.uniform());
    expect(Array.from({ length: 5 }, () => b.uniform())).toEqual(xs);
    expect(Array.from({ length: 5 }, () => c.uniform())).not.toEqual(xs);
  });

  it('restores its state exactly, including the cached normal', () => {
    const a = new Rng(3);
    a.normal();
    const saved = JSON.parse(JSON.stringify(a.getState()));
    const next = [a.normal(), a.uniform(), a.beta(0.5, 0.5)];
    const b = Rng.fromState(saved);
    expect([b.normal(), b.uniform(), b.beta(0.5, 0.5)]).toEqual(next);
  });

  it('draws Beta(a, a) with the right mean and variance', () => {
    const r = new Rng(11);
    const n = 20000;
    const a = 0.5;
    let s = 0;
    let s2 = 0;
    for (let i = 0; i < n; i++) {
      const x = r.beta(a, a);
      expect(x).toBeGreaterThanOrEqual(0);
      expect(x).toBeLessThanOrEqual(1);
      s += x;
      s2 += x * x;
    }
    const mean = s / n;
    const variance = s2 / n - mean * mean;
    // Beta(a, a): mean 1/2, variance 1 / (4 (2a + 1)) = 0.125 for a = 0.5.
    expect(mean).toBeCloseTo(0.5, 1);
    expect(Math.abs(variance - 0.125)).toBeLessThan(0.005);
  });

  it('draws normals with mean 0 and variance 1', () => {
    const r = new Rng(5);
    const n = 20000;
    let s = 0;
    let s2 = 0;
    for (let i = 0; i < n; i++) {
      const x = r.normal();
      s += x;
      s2 += x * x;
    }
    expect(Math.abs(s / n)).toBeLessThan(0.03);
    expect(Math.abs(s2 / n - 1)).toBeLessThan(0.03);
  });

  it('gives permutations of 0..n-1', () => {
    const p = Array.from(new Rng(1).permutation(50));
    expect([...p].sort((x, y) => x - y)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(p).not.toEqual(Array.from({ length: 50 }, (_, i) => i));
  });
});
