import { describe, expect, it } from 'vitest';
import { makeConfig } from '../core/config';
import {
  colorIndexOf,
  colorOfRun,
  contrastRatio,
  LEGEND_BACKGROUNDS,
  LEGEND_TEXT_COLORS,
  markerOfRun,
  MODALITY_COLORS,
  RUN_COLORS,
  runMarker,
  withColorIndex,
  type Colored,
} from './palette';
import { newRunRecord, type RunRecord } from './run';
import { initialState, labReducer, type LabState } from './store';
import { AUDIO_RGB } from '../core/modalities';

const config = makeConfig({ preset: 'tiny', epochs: 2 });
const record = (id: string, createdAt: number): RunRecord =>
  newRunRecord({ id, config, datasetId: 'demo', datasetName: 'demo', classNames: ['a'], trainSize: 4, testSize: 2, modalities: AUDIO_RGB, backend: 'wasm' }, createdAt);

describe('contrast', () => {
  it('computes the WCAG ratio (black on white 21, white on white 1, a known pair)', () => {
    expect(contrastRatio('#000000', '#ffffff')).toBeCloseTo(21, 5);
    expect(contrastRatio('#ffffff', '#ffffff')).toBe(1);
    // The old run colour that legend text was drawn in: 2.53:1 on white.
    expect(contrastRatio('#ff7f0e', '#ffffff')).toBeCloseTo(2.53, 2);
  });

  it('every legend text colour reaches 4.5:1 against every background it is drawn on', () => {
    for (const text of LEGEND_TEXT_COLORS) {
      for (const bg of LEGEND_BACKGROUNDS) expect(contrastRatio(text, bg), `${text} on ${bg}`).toBeGreaterThanOrEqual(4.5);
    }
  });

  it('run and modality colours (lines, swatches) reach 3:1 against white', () => {
    for (const c of [...RUN_COLORS, MODALITY_COLORS.audio, MODALITY_COLORS.visual]) expect(contrastRatio(c, '#ffffff'), c).toBeGreaterThanOrEqual(3);
  });
});

describe('run colours', () => {
  it('a new run takes the smallest free colour index and keeps the one it has', () => {
    const fresh = (id: string): Colored => ({ id });
    const a = withColorIndex(fresh('a'), []);
    const b = withColorIndex(fresh('b'), [a]);
    const c = withColorIndex(fresh('c'), [b]); // a deleted: its index is free again
    expect([a.colorIndex, b.colorIndex, c.colorIndex]).toEqual([0, 1, 0]);
    expect(withColorIndex(b, [])).toBe(b);
  });

  it('colour and marker pairs do not repeat within the first 50 indices; old runs without an index get one from their id', () => {
    const pairs = new Set(Array.from({ length: 50 }, (_, i) => `${RUN_COLORS[i % RUN_COLORS.length]}/${runMarker(i)}`));
    expect(pairs.size).toBe(50);
    expect(colorIndexOf({ id: 'old-run' })).toBe(colorIndexOf({ id: 'old-run' }));
    expect(colorOfRun({ id: 'x', colorIndex: 3 })).toBe(RUN_COLORS[3]);
    expect(markerOfRun({ id: 'x', colorIndex: 0 })).toBe('circle');
  });

  it('in the lab, a run keeps its colour when runs before it are deleted and when runs are loaded around it', () => {
    let s: LabState = initialState(config);
    s = labReducer(s, { type: 'runs/loaded', runs: [record('r1', 1), record('r2', 2), record('r3', 3)] });
    expect(['r1', 'r2', 'r3'].map((id) => s.runs[id].colorIndex)).toEqual([0, 1, 2]);
    const before = ['r1', 'r2', 'r3'].map((id) => colorOfRun(s.runs[id]));
    s = labReducer(s, { type: 'runs/delete', id: 'r1' });
    expect(colorOfRun(s.runs.r2)).toBe(before[1]);
    expect(colorOfRun(s.runs.r3)).toBe(before[2]);
    // A run created earlier than all of them, loaded later (an import), sorts first but takes a free colour.
    s = labReducer(s, { type: 'runs/loaded', runs: [record('r0', 0)] });
    expect(s.runOrder[0]).toBe('r0');
    expect(colorOfRun(s.runs.r2)).toBe(before[1]);
    expect(colorOfRun(s.runs.r3)).toBe(before[2]);
    expect([before[1], before[2]]).not.toContain(colorOfRun(s.runs.r0));
    // A run begun in the session keeps its colour through the reducer's updates too.
    s = labReducer(s, { type: 'run/begin', run: record('r4', 4), at: 4 });
    expect(s.runs.r4.colorIndex).toBe(3);
    const r4 = colorOfRun(s.runs.r4);
    s = labReducer(s, { type: 'runs/delete', id: 'r0' });
    expect(colorOfRun(s.runs.r4)).toBe(r4);
  });
});
