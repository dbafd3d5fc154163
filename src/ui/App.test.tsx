import { readFileSync } from 'node:fs';
import { renderToString } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { makeConfig } from '../core/config';
import { App } from './App';
import { FakeTrainWorker, fakeFeatures, fakeRunMessages } from '../../test/support/fakeTrainer';
import { LabController } from './labController';
import { newRunRecord, type RunRecord } from './run';
import { createStore, initialState, type LabAction } from './store';
import { AUDIO_RGB, RGB_FLOW, type ModalityPair } from '../core/modalities';

function controllerWithRun(modalities: ModalityPair = AUDIO_RGB) {
  const config = makeConfig({ preset: 'tiny', epochs: 2 });
  const store = createStore(initialState(config), (f) => f());
  const controller = new LabController(store, {
    createTrainWorker: () => new FakeTrainWorker(),
    createUmapWorker: () => new FakeTrainWorker(),
    openRunStore: () => Promise.reject(new Error('not in this test')),
    download: () => {},
    now: () => 0,
    newRunId: () => 'r1',
  });
  const classNames = ['NEU', 'HAP', 'SAD', 'FEA', 'DIS', 'ANG'];
  const run: RunRecord = newRunRecord({ id: 'r1', config, datasetId: 'demo', datasetName: 'fake', classNames, trainSize: 120, testSize: 30, modalities, backend: 'wasm' }, 0);
  const f = fakeFeatures(2, 24, 6);
  const actions: LabAction[] = [
    { type: 'session/init', config, datasetId: 'demo' },
    { type: 'worker', at: 0, message: { type: 'backend', name: 'wasm', reason: 'WebGPU not available: navigator.gpu missing; using wasm' } },
    { type: 'worker', at: 0, message: { type: 'dataset', info: { name: 'fake', classNames, trainSize: 120, testSize: 30, modalities } } },
    { type: 'worker', at: 0, message: { type: 'state', state: 'idle' } },
    { type: 'run/begin', run, at: 0 },
    ...fakeRunMessages(config).map((message): LabAction => ({ type: 'worker', message, at: 0 })),
    { type: 'embeddings/set', runId: 'r1', embedding: { epoch: 2, labels: f.labels, split: f.split, audio: f.audio.slice(0, 48), visual: f.audio.slice(0, 48), fused: f.audio.slice(0, 48) } },
  ];
  for (const a of actions) store.dispatch(a);
  return controller;
}

function buttonNames(html: string): string[] {
  return [...html.matchAll(/<button[^>]*>([^<]*)<\/button>/g)].map((m) => m[1]);
}

describe('App (server-rendered markup)', () => {
  it('has the named controls, a status element and the backend notice on a fresh page', () => {
    const store = createStore(initialState(), (f) => f());
    const controller = new LabController(store, {
      createTrainWorker: () => new FakeTrainWorker(),
      createUmapWorker: () => new FakeTrainWorker(),
      openRunStore: () => Promise.reject(new Error('none')),
      download: () => {},
      now: () => 0,
      newRunId: () => 'r',
    });
    const html = renderToString(<App controller={controller} />);
    const names = buttonNames(html);
    for (const name of ['Train', 'Pause', 'Resume', 'Stop', 'Step epoch', 'Export weights']) expect(names).toContain(name);
    expect(html).toMatch(/role="status"[^>]*>Starting the training worker…</);
    expect(html).toContain('Backend: starting…');
    expect(html).toContain('Demo (synthetic audio-visual)');
  });

  it('shows a finished run: status, charts, three UMAP canvases with point counts, confusion tables, runs', () => {
    const html = renderToString(<App controller={controllerWithRun()} />);
    expect(html).toMatch(/role="status"[^>]*>Done: 2 epochs; best test accuracy 45\.0%/);
    expect(html).toContain('Backend: wasm');
    expect(html).toContain('WebGPU not available: navigator.gpu missing; using wasm');
    expect(html.match(/<canvas[^>]*data-points="24"/g)).toHaveLength(3);
    expect(html).toContain('data-modality="fused"');
    expect(html.match(/<figure class="confusion">/g)).toHaveLength(3);
    for (const name of ['NEU', 'ANG']) expect(html).toContain(name);
    expect(html).toContain('Across seeds');
    // The Runs region holds one body row per run (the across-seed table is a region of its own).
    const runsRegion = html.slice(html.indexOf('aria-label="Runs"'), html.indexOf('aria-label="Across seeds"'));
    expect(runsRegion.match(/<tbody>[\s\S]*<\/tbody>/)?.[0].match(/<tr/g)).toHaveLength(1);
    expect(html.match(/data-chart="/g)).toHaveLength(5);
  });

  it('names the branches of an RGB + flow run RGB and Flow: runs table, charts, rho, maps, matrices', () => {
    const html = renderToString(<App controller={controllerWithRun(RGB_FLOW)} />);
    const runsRegion = html.slice(html.indexOf('aria-label="Runs"'), html.indexOf('aria-label="Across seeds"'));
    const heads = [...runsRegion.matchAll(/<th scope="col">([^<]*)<\/th>/g)].map((m) => m[1]);
    expect(heads).toEqual(['fused', 'RGB', 'Flow', 'fused', 'RGB', 'Flow']);
    expect(runsRegion).toContain('RGB + Flow');
    expect(html).toContain('RGB vs Flow accuracy (train / test)');
    expect(html).toContain('Imbalance rho = s_RGB / s_Flow (&gt; 1: RGB stronger)');
    expect(html).toContain('<figcaption>RGB z_a</figcaption>');
    expect(html).toContain('<figcaption>Flow z_v</figcaption>');
    expect(html).toMatch(/<figcaption>Flow(<!-- -->)? <span class="hint">overall/);
    expect(html).not.toMatch(/>(audio|visual)</i);
    // The demo's run: Audio and RGB.
    const demo = renderToString(<App controller={controllerWithRun()} />);
    expect(demo).toContain('Audio vs RGB accuracy (train / test)');
    expect(demo).toContain('<figcaption>Audio z_a</figcaption>');
  });

  it('contains no placeholder wording and no outside URLs', () => {
    const html = renderToString(<App controller={controllerWithRun()} />);
    const files = [html, readFileSync('index.html', 'utf8'), readFileSync('src/ui/styles.css', 'utf8')];
    for (const text of files) {
      expect(text).not.toMatch(/coming soon|lorem ipsum|todo|tbd|placeholder/i);
      expect(text.replace(/http:\/\/www\.w3\.org\/2000\/svg/g, '')).not.toMatch(/https?:\/\//);
    }
  });
});
