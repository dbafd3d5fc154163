/**
 * Page entry: reads the config from the URL, creates the store and the controller (with the real workers,
 * IndexedDB and downloads), and renders the lab.
 */
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './ui/App';
import { downloadBlob } from './ui/download';
import { FolderDatasets } from './ui/FolderDatasets';
import { LabController } from './ui/labController';
import { watchOtherTabs } from './ui/otherTabs';
import { RunStore } from './ui/runStore';
import { createStore, initialState } from './ui/store';
import { configFromLocation } from './ui/urlConfig';
import './ui/styles.css';

/** Where the running sweep is kept, so that a reload can resume it. */
const SWEEP_KEY = 'bmm-lab.sweep';

const { config, notices } = configFromLocation(window.location.search, window.location.hash);
const store = createStore(initialState(config));
for (const text of notices) store.dispatch({ type: 'notice/add', level: 'warning', text });

const controller = new LabController(store, {
  createTrainWorker: () => new Worker(new URL('./worker/train.worker.ts', import.meta.url), { type: 'module', name: 'train' }),
  createUmapWorker: () => new Worker(new URL('./worker/umap.worker.ts', import.meta.url), { type: 'module', name: 'umap' }),
  openRunStore: () => RunStore.open(),
  download: downloadBlob,
  now: () => Date.now(),
  newRunId: () => `run-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`,
  sweepStorage: {
    load: () => {
      try {
        return window.localStorage.getItem(SWEEP_KEY);
      } catch {
        return null;
      }
    },
    save: (value) => {
      try {
        if (value === null) window.localStorage.removeItem(SWEEP_KEY);
        else window.localStorage.setItem(SWEEP_KEY, value);
      } catch {
        // Storage refused (private mode, quota): the sweep is not kept across reloads.
      }
    },
  },
});
void controller.boot();
watchOtherTabs((text) => store.dispatch({ type: 'notice/add', level: 'warning', text }));

const root = document.getElementById('root');
if (!root) throw new Error('index.html has no #root element');
createRoot(root).render(
  <StrictMode>
    <App controller={controller} addDatasetSlot={<FolderDatasets />} />
  </StrictMode>,
);
