/**
 * A page with only the DatasetPanel, for decode.e2e.ts and bench/decode.ts (built by e2e/vite.decode.config.ts).
 * `?preset=tiny|fast|paper` picks the preset, `?workers=N` the decode pool size, `?test=1` turns on the decode
 * summaries of src/data/decode/testHook.ts; each dataset handed to onDataset is recorded on
 * `window.__bmmLab.onDataset`, and `window.__bmmLab.trainOneEpoch(overrides)` trains one epoch on the last one in
 * the real training worker (as the lab page does: packDataset, `init` with a transferred dataset, `start`).
 */
import { StrictMode, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { makeConfig, PRESETS, type PresetName, type TrainConfig } from '../src/core/config';
import type { Dataset } from '../src/core/dataset';
import type { TrainReport } from '../src/testGlobals';
import { packDataset } from '../src/worker/datasetTransfer';
import type { TrainIn, TrainOut } from '../src/worker/protocol';
import { DatasetPanel } from '../src/ui/DatasetPanel';
import '../src/ui/styles.css';

const query = new URLSearchParams(window.location.search);
const param = query.get('preset');
const workers = Number(query.get('workers')) || undefined;
const preset: PresetName = (PRESETS as readonly string[]).includes(param ?? '') ? (param as PresetName) : 'tiny';

let lastDataset: Dataset | null = null;

/** Trains `config.epochs` epochs of the last decoded dataset in the training worker; resolves at `done` or `error`. */
function trainOneEpoch(overrides: Partial<TrainConfig> = {}): Promise<TrainReport> {
  if (!lastDataset) return Promise.reject(new Error('no dataset decoded yet'));
  const config = makeConfig({ preset, epochs: 1, batch: 2, backend: 'auto', featuresEvery: 1, ...overrides });
  const { packed, transfer } = packDataset(lastDataset);
  const worker = new Worker(new URL('../src/worker/train.worker.ts', import.meta.url), { type: 'module', name: 'train' });
  const report: TrainReport = { backend: '', dataset: null, epochs: [], featureClasses: [], errors: [], state: 'none' };
  return new Promise((resolve) => {
    const finish = () => {
      worker.terminate();
      resolve(report);
    };
    worker.onmessage = (e: MessageEvent<TrainOut>) => {
      const m = e.data;
      if (m.type === 'backend') report.backend = m.name;
      else if (m.type === 'dataset') report.dataset = m.info;
      else if (m.type === 'error') report.errors.push(m.message);
      else if (m.type === 'event') {
        if (m.event.type === 'epoch') report.epochs.push(m.event.metrics);
        else if (m.event.type === 'features') report.featureClasses = [...new Set(m.event.features.labels)].sort();
        else if (m.event.type === 'error') report.errors.push(m.event.message);
      } else if (m.type === 'state') {
        report.state = m.state;
        if (m.state === 'idle') worker.postMessage({ type: 'start' } satisfies TrainIn);
        if (m.state === 'done' || m.state === 'error' || m.state === 'stopped') finish();
      }
    };
    worker.onerror = (e) => {
      report.errors.push(`worker error: ${e.message}`);
      finish();
    };
    worker.postMessage({ type: 'init', config, dataset: { kind: 'transfer', ...packed } } satisfies TrainIn, transfer);
  });
}

(window.__bmmLab ??= {}).trainOneEpoch = trainOneEpoch;

function Harness() {
  const [last, setLast] = useState<string>('');
  return (
    <div style={{ maxWidth: 420, padding: 10 }}>
      <DatasetPanel
        preset={preset}
        frames={2}
        download={(name, data) => {
          const hook = (window.__bmmLab ??= {});
          void data.arrayBuffer().then((b) => (hook.downloads ??= []).push({ name, bytes: Array.from(new Uint8Array(b)) }));
        }}
        poolSize={workers}
        onDataset={(d, info) => {
          lastDataset = d;
          const hook = (window.__bmmLab ??= {});
          (hook.onDataset ??= []).push({ ...info, train: d.train.size, test: d.test.size, modalities: d.modalities });
          setLast(`${info.name}: ${d.train.size} train / ${d.test.size} test`);
        }}
      />
      <p data-testid="harness-last">{last}</p>
    </div>
  );
}

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <Harness />
  </StrictMode>,
);
