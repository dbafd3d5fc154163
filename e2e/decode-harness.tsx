/**
 * A page with only the DatasetPanel, for decode.e2e.ts and bench/decode.ts (built by e2e/vite.decode.config.ts).
 * `?preset=tiny|fast|paper` picks the preset; each dataset handed to onDataset is recorded on
 * `window.__bmmLab.onDataset`.
 */
import { StrictMode, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { PRESETS, type PresetName } from '../src/core/config';
import { DatasetPanel } from '../src/ui/DatasetPanel';
import '../src/ui/styles.css';

const param = new URLSearchParams(window.location.search).get('preset');
const preset: PresetName = (PRESETS as readonly string[]).includes(param ?? '') ? (param as PresetName) : 'tiny';

function Harness() {
  const [last, setLast] = useState<string>('');
  return (
    <div style={{ maxWidth: 420, padding: 10 }}>
      <DatasetPanel
        preset={preset}
        onDataset={(d, info) => {
          const w = window as unknown as { __bmmLab?: Record<string, unknown> };
          const hook = (w.__bmmLab ??= {});
          const list = (hook.onDataset as unknown[] | undefined) ?? [];
          list.push({ ...info, train: d.train.size, test: d.test.size, frameChannels: d.frameChannels });
          hook.onDataset = list;
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
