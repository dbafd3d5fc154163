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
