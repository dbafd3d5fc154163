import { describe, expect, it } from 'vitest';
import { getSetting, makeConfig, validateConfig, type TrainConfig } from '../core/config';
import { newRunRecord, type RunRecord } from './run';
import { parseStoredQueue, queueEntryLabel, queueProgress, storedQueue, table2Queue } from './reproduceQueue';
import { AUDIO_RGB, RGB_FLOW } from '../core/modalities';
import { stableStringify } from '../core/runGroups';
import { isTeacherConfig, umtTeacherConfig } from '../core/umtTeachers';

const base = makeConfig({ preset: 'tiny', method: 'visual-only', fusion: 'gated', seed: 7, lr: 0.01, bmm: { maxM: 0.3, warmup: 1 }, ogm: { alpha: 0.2 }, bnStats: 'running', valSplit: 0.1 });

describe('table2Queue', () => {
  it('lists every Table 2 method the lab has (and AGM, MMPareto), the unimodal runs, then UMT x seeds 0-2, seeds outermost', () => {
    const q = table2Queue(base);
    expect(q).toHaveLength(36);
    expect(q.map((c) => queueEntryLabel(c, AUDIO_RGB))).toEqual(
      [0, 1, 2].flatMap((s) =>
        ['Concat', 'Concat + G-Blending', 'Concat + PMR', 'Concat + OGM-GE', 'Concat + Greedy', 'Concat + MM', 'Concat + B-MM', 'Concat + AGM', 'Concat + MMPareto', 'Concat + Audio only', 'Concat + RGB only', 'Concat + UMT'].map(
          (l) => `${l} seed ${s}`,
        ),
      ),
    );
    // The unimodal entries by the dataset's pair; without one, by branch.
    expect(queueEntryLabel(q[9], RGB_FLOW)).toBe('Concat + RGB only seed 0');
    expect(queueEntryLabel(q[10])).toBe('Concat + Second branch only seed 0');
  });

  it('trains each seed\'s UMT after its teachers: that seed\'s audio-only and visual-only entries', () => {
    const q = table2Queue(base);
    for (const seed of [0, 1, 2]) {
      const at = (method: string) => q.findIndex((c) => c.method === method && c.seed === seed);
      const umt = q[at('umt')];
      expect(at('audio-only')).toBeLessThan(at('umt'));
      expect(at('visual-only')).toBeLessThan(at('umt'));
      // The teachers' configs are the queue's own unimodal entries of the seed, and only those.
      expect(stableStringify(umtTeacherConfig(umt, 'audio'))).toBe(stableStringify(q[at('audio-only')]));
      expect(stableStringify(umtTeacherConfig(umt, 'visual'))).toBe(stableStringify(q[at('visual-only')]));
      expect(q.filter((c) => isTeacherConfig(c, umt, 'audio'))).toEqual([q[at('audio-only')]]);
      expect(q.filter((c) => isTeacherConfig(c, umt, 'visual'))).toEqual([q[at('visual-only')]]);
    }
  });

  it('uses the paper settings, the current preset and evaluation protocol, and nothing left in the form', () => {
    const q = table2Queue(base);
    const of = (method: string) => q.find((c) => c.method === method && c.seed === 0)!;
    for (const c of q) {
      expect([c.fusion, c.lr, c.weightDecay, c.unimodal]).toEqual(['concat', 1e-3, 1e-4, 'zero']);
      expect([c.preset, c.epochs, c.batch, c.width, c.bnStats, c.valSplit]).toEqual(['tiny', base.epochs, base.batch, base.width, 'running', 0.1]);
    }
    // Every entry is a valid config the session accepts, on a short preset too.
    for (const c of [...q, ...table2Queue(makeConfig({ preset: 'tiny', epochs: 1 }))]) expect(validateConfig(c)).toEqual(c);
    const bmm = of('bmm');
    expect(['bmm.beta', 'bmm.warmup', 'bmm.maxM', 'bmm.coef', 'bmm.level', 'bmm.targets', 'bmm.sample', 'bmm.rhoSmoothing', 'bmm.ramp'].map((p) => getSetting(bmm, p))).toEqual([
      1, 5, 1, 'tanh(beta*(r-1))', 'input', 'weak', 'fixed', 0, 0,
    ]);
    const ogm = of('ogm-ge');
    expect(['ogm.mode', 'ogm.alpha', 'ogm.start', 'ogm.end'].map((p) => getSetting(ogm, p))).toEqual(['ogm-ge', 0.8, 0, 50]);
    expect(getSetting(of('mm'), 'mm.alpha')).toBe(0.5);
    expect(getSetting(of('pmr'), 'pmr.alpha')).toBe(0.1);
    expect(getSetting(of('agm'), 'agm.alpha')).toBe(0.1);
    expect(getSetting(of('mmpareto'), 'mmpareto.gamma')).toBe(1.5);
    expect(getSetting(of('gblend'), 'gblend.superEpoch')).toBe(10);
    expect([getSetting(of('greedy'), 'greedy.epsilon'), getSetting(of('greedy'), 'greedy.window'), getSetting(of('greedy'), 'greedy.start')]).toEqual([0.01, 5, 1]);
    // UMT at the lab's default alpha, its teachers with the shared settings and no method settings of their own.
    expect(getSetting(of('umt'), 'umt.alpha')).toBe(1);
    for (const m of ['audio-only', 'visual-only', 'umt']) expect([of(m).fusion, of(m).lr, of(m).weightDecay, of(m).unimodal, of(m).valSplit]).toEqual(['concat', 1e-3, 1e-4, 'zero', 0.1]);
    // G-Blending needs held-out clips: with none in the form, its runs (and only its) hold out 10 %.
    const noVal = table2Queue(makeConfig({ preset: 'tiny', valSplit: 0 }));
    expect(noVal.filter((c) => c.valSplit > 0).map((c) => [c.method, c.valSplit])).toEqual([0, 1, 2].map(() => ['gblend', 0.1]));
    // The form's bound on m and OGM alpha do not leak into the queue: other methods keep the defaults.
    expect(getSetting(of('erm'), 'bmm.maxM')).toBe(0.5);
    expect(getSetting(of('erm'), 'bmm.warmup')).toBe(5);
  });
});

function run(id: string, config: TrainConfig, status: RunRecord['status'], seconds: number[], datasetId = 'crema'): RunRecord {
  const datasetName = datasetId === 'crema' || datasetId === '' ? 'CREMA-D' : datasetId;
  const r = newRunRecord({ id, config, datasetId, datasetName, classNames: [], trainSize: 0, testSize: 0, modalities: AUDIO_RGB, backend: 'cpu' }, 0);
  return { ...r, status, epochs: seconds.map((s, i) => ({ epoch: i + 1, seconds: s }) as RunRecord['epochs'][number]) };
}

describe('queueProgress', () => {
  const q = table2Queue(makeConfig({ preset: 'tiny', epochs: 2 }));
  const queue = storedQueue('crema', 'CREMA-D', q, 1000);

  it('counts the entries with a finished run on the dataset and estimates the rest from their mean time', () => {
    const runs = [
      run('a', q[0], 'done', [10, 10]),
      run('b', q[1], 'done', [20, 20]),
      run('c', q[2], 'running', [15]),
      run('other', q[3], 'done', [1, 1], 'elsewhere'),
      // A run of a config outside the queue does not count.
      run('x', { ...q[0], lr: 0.5 }, 'done', [5, 5]),
      // An imported run (no dataset entry) of the dataset's name counts.
      run('imported', q[7], 'done', [30, 30], ''),
    ];
    const p = queueProgress(queue, runs, { runId: 'c', eta: 12, epochSeconds: 15 });
    expect([p.total, p.done, p.current, p.secondsPerRun]).toEqual([36, 3, 2, 40]);
    expect(p.states.slice(0, 4)).toEqual(['done', 'done', 'running', 'waiting']);
    expect(p.states[7]).toBe('done');
    // 12 s left of the live run, then 32 runs at 40 s.
    expect(p.eta).toBe(12 + 32 * 40);
  });

  it('before any run finishes, estimates a run from the live one; done means 0', () => {
    const p = queueProgress(queue, [run('c', q[0], 'running', [])], { runId: 'c', eta: 40, epochSeconds: 25 });
    expect([p.done, p.current, p.eta]).toEqual([0, 0, 40 + 35 * 50]);
    expect(queueProgress(queue, []).eta).toBeNull();
    expect(queueProgress(queue, q.map((c, i) => run(`r${i}`, c, 'done', [1, 2]))).eta).toBe(0);
  });

  it('is kept as JSON and read back; anything else is dropped', () => {
    const back = parseStoredQueue(JSON.stringify(queue));
    expect(back?.configs).toHaveLength(36);
    expect(back?.datasetName).toBe('CREMA-D');
    expect(parseStoredQueue('{"format":"other"}')).toBeNull();
    expect(parseStoredQueue('not json')).toBeNull();
    expect(parseStoredQueue(null)).toBeNull();
  });
});
