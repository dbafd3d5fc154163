import { renderToString } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { makeConfig, type TrainConfig } from '../core/config';
import { FakeTrainWorker } from '../../test/support/fakeTrainer';
import { ComparePanel } from './ComparePanel';
import { LabContext } from './context';
import { LabController } from './labController';
import { newRunRecord, type RunRecord } from './run';
import { createStore, initialState } from './store';
import { AUDIO_RGB } from '../core/modalities';

/** A finished run whose fused test accuracy is `acc` at its last epoch (audio 0.1 below, visual 0.2 below). */
function run(id: string, datasetName: string, config: TrainConfig, acc: number): RunRecord {
  const r = newRunRecord({ id, config, datasetId: '', datasetName, classNames: [], trainSize: 0, testSize: 0, modalities: AUDIO_RGB, backend: 'cpu' }, 0);
  const epoch = { epoch: 1, testAcc: acc, audio: { trainAcc: 0, testAcc: acc - 0.1 }, visual: { trainAcc: 0, testAcc: acc - 0.2 }, seconds: 3 } as RunRecord['epochs'][number];
  return { ...r, status: 'done', epochs: [epoch] };
}

function render(runs: RunRecord[]): string {
  const store = createStore(initialState(makeConfig({ preset: 'tiny' })), (f) => f());
  const controller = new LabController(store, {
    createTrainWorker: () => new FakeTrainWorker(),
    createUmapWorker: () => new FakeTrainWorker(),
    openRunStore: () => Promise.reject(new Error('not in this test')),
    download: () => {},
    now: () => 0,
    newRunId: () => 'r',
  });
  store.dispatch({ type: 'runs/loaded', runs });
  return renderToString(
    <LabContext.Provider value={controller}>
      <ComparePanel />
    </LabContext.Provider>,
  );
}

describe('ComparePanel (server-rendered markup)', () => {
  it('shows the results table with the paper column and the missing methods, and the Reproduce buttons', () => {
    const erm = (seed: number) => makeConfig({ method: 'erm', seed, epochs: 1, preset: 'tiny' });
    const html = render([run('a', 'CREMA-D', erm(0), 0.5), run('b', 'CREMA-D', erm(1), 0.6)]);
    expect(html).toContain('aria-label="Results table"');
    expect(html).toContain('<th scope="col" class="paper" style="font-style:italic" title="The published number, not a run of this lab">paper</th>');
    expect(html).toMatch(/<tr data-method="erm"><th scope="row">Concat<\/th><td[^>]*>55.0 ± 7.1 \(2\)<\/td>/);
    expect(html).toMatch(/<td class="paper"[^>]*>60.62<\/td>/);
    expect(html).toMatch(/<tr class="missing" data-method="atf"><th scope="row">Concat \+ ATF<span class="hint"> \(not in the lab\)<\/span><\/th>/);
    expect(html).toContain('>Reproduce Table 2 on this dataset</button>');
    expect(html).toContain('>Export as torchrun script</button>');
    expect(html).toMatch(/36<!-- --> runs on <!-- -->Demo \(synthetic audio-visual\)/);
    expect(html).toContain('With 2 epochs B-MM never leaves its 5-epoch warm-up (it trains as ERM); the paper trains 60.');
    for (const f of ['CSV', 'Markdown', 'LaTeX']) expect(html).toContain(`<button type="button" class="small">Table <!-- -->${f}</button>`);
  });

  it('without finished runs says what will appear, and its exports are disabled', () => {
    const html = render([]);
    expect(html).toContain('Finished runs appear here as a table of methods x datasets');
    expect(html).toContain('<button type="button" class="small" disabled="">Table <!-- -->CSV</button>');
  });
});
