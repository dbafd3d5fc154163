/**
 * The lab page: header with the backend in use, the controls on the left, and the charts, UMAP maps,
 * confusion matrices and runs on the right.
 */
import { useEffect, type ReactNode } from 'react';
import { ChartsPanel } from './charts/ChartsPanel';
import { ComparePanel } from './ComparePanel';
import { selectConfigError } from './configCheck';
import { ConfusionPanel } from './ConfusionPanel';
import { LabContext, useController, useLab } from './context';
import { Controls } from './Controls';
import type { LabController } from './labController';
import { ProgressBar } from './ProgressBar';
import { RunsPanel, SeedsPanel } from './RunsPanel';
import type { LabState } from './store';
import { UmapPanel } from './UmapPanel';
import { hashWithoutConfig, searchWithConfig } from './urlConfig';

const selectBackend = (s: LabState) => s.session.backend;
const selectSessionDataset = (s: LabState) => s.session.dataset;
const selectNotices = (s: LabState) => s.notices;
const selectConfig = (s: LabState) => s.config;

function Header() {
  const backend = useLab(selectBackend);
  const dataset = useLab(selectSessionDataset);
  return (
    <header className="app-header">
      <h1>B-MM Lab</h1>
      <span className="subtitle">Balanced multimodal mixup, trained in the browser</span>
      <span className="header-facts">
        {dataset && <span className="chip">{dataset.name}</span>}
        <span className="chip backend" id="backend-notice" title={backend?.reason}>
          {backend ? `Backend: ${backend.name}` : 'Backend: starting…'}
        </span>
        {backend?.reason && <span className="backend-reason">{backend.reason}</span>}
      </span>
    </header>
  );
}

function Notices() {
  const controller = useController();
  const notices = useLab(selectNotices);
  if (notices.length === 0) return null;
  return (
    <ul className="notices" aria-live="polite">
      {notices.map((n) => (
        <li key={n.id} className={`notice notice-${n.level}`}>
          <span>{n.text}</span>
          <button type="button" className="small" aria-label="Dismiss" onClick={() => controller.store.dispatch({ type: 'notice/dismiss', id: n.id })}>
            ×
          </button>
        </li>
      ))}
    </ul>
  );
}

/** Keeps the address bar's query equal to the (valid) config, so the page can be shared or reloaded as is. */
function UrlSync() {
  const config = useLab(selectConfig);
  const invalid = useLab(selectConfigError) !== null;
  useEffect(() => {
    if (invalid) return;
    const { pathname, search, hash } = window.location;
    const next = `${pathname}${searchWithConfig(search, config)}${hashWithoutConfig(hash)}`;
    if (next !== `${pathname}${search}${hash}`) window.history.replaceState(null, '', next);
  }, [config, invalid]);
  return null;
}

export interface AppProps {
  controller: LabController;
  /** Rendered under the dataset picker (the dataset-folder input). */
  addDatasetSlot?: ReactNode;
}

export function App({ controller, addDatasetSlot }: AppProps) {
  return (
    <LabContext.Provider value={controller}>
      <UrlSync />
      <div className="app">
        <Header />
        <div className="layout">
          <aside className="sidebar">
            <Controls addDatasetSlot={addDatasetSlot} />
          </aside>
          <main className="main">
            <Notices />
            <ProgressBar />
            <ChartsPanel />
            <UmapPanel />
            <ConfusionPanel />
            <RunsPanel />
            <SeedsPanel />
            <ComparePanel />
          </main>
        </div>
      </div>
    </LabContext.Provider>
  );
}
