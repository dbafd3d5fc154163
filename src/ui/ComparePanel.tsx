/**
 * The Compare view: the results table of every finished run (methods x datasets, as the paper's Tables 1-2; the
 * table itself is `core/resultsTable.ts`), its CSV, Markdown and LaTeX exports, and "Reproduce Table 2 on this
 * dataset": the queue of `reproduceQueue.ts` trained through the lab's sweep runner (or exported as a torchrun
 * script), with its progress and total ETA, kept across a reload.
 */
import { useNow } from './useNow';
import { useMemo, useState } from 'react';
import { pairLabel, pairName } from '../core/modalities';
import {
  branchParts,
  buildResultsTable,
  formatTable,
  MISSING_METHODS,
  PAPER_DATASETS,
  paperDatasetOf,
  paperResult,
  ROW_METHOD_NAMES,
  statText,
  TABLE_EXTENSIONS,
  TABLE_FORMATS,
  type ResultsTable,
  type TableColumn,
  type TableFormat,
} from '../core/resultsTable';
import { stableStringify } from '../core/runGroups';
import { torchrunScript } from '../core/sweepScript';
import { useController, useLab, useRunList } from './context';
import { exportFileName, fileSlug, runsFileLabel } from './exportMetrics';
import { formatDuration } from './formatDuration';
import { liveProgress } from './progress';
import { parseStoredQueue, QUEUE_STORAGE_KEY, queueEntryLabel, queueProgress, storedQueue, table2Queue, type StoredQueue } from './reproduceQueue';
import { entryModalities, selectStableRuns, sessionBusy, type LabState } from './store';

const selectRuns = selectStableRuns;
const selectConfig = (s: LabState) => s.config;
const selectSession = (s: LabState) => s.session;
const selectProgress = (s: LabState) => s.progress;
const selectDatasetId = (s: LabState) => s.datasetId;
const selectDatasets = (s: LabState) => s.datasets;
const selectInterrupted = (s: LabState) => s.interruptedSweep ?? null;

/** The published numbers read apart from ours (the stylesheet has no rule for them). */
const PAPER_STYLE = { fontStyle: 'italic' } as const;

const FORMAT_NAMES: Record<TableFormat, string> = { csv: 'CSV', md: 'Markdown', latex: 'LaTeX' };
const FORMAT_TYPES: Record<TableFormat, string> = { csv: 'text/csv', md: 'text/markdown', latex: 'application/x-tex' };

function loadQueue(): StoredQueue | null {
  try {
    return parseStoredQueue(window.localStorage.getItem(QUEUE_STORAGE_KEY));
  } catch {
    return null;
  }
}

function saveQueue(queue: StoredQueue | null): void {
  try {
    if (queue) window.localStorage.setItem(QUEUE_STORAGE_KEY, JSON.stringify(queue));
    else window.localStorage.removeItem(QUEUE_STORAGE_KEY);
  } catch {
    // Without storage the queue still runs; only its progress is not kept across a reload.
  }
}

/** A column's React key: its dataset and pair (one dataset trained as two pairs is two columns). */
const columnKey = (c: TableColumn) => `${c.dataset}|${pairName(c.modalities)}`;

function TableView({ table }: { table: ResultsTable }) {
  return (
    <div className="table-wrap">
      <table className="groups compare-table" aria-label="Results table">
        <thead>
          <tr>
            <th rowSpan={2} scope="col">
              Method
            </th>
            {table.columns.map((c) => (
              <th key={columnKey(c)} colSpan={c.paper ? 5 : 4} scope="colgroup" title={pairLabel(c.modalities)}>
                {c.title}
                {c.paper && c.paper !== c.dataset ? ` (the paper's ${c.paper})` : ''}
              </th>
            ))}
          </tr>
          <tr>
            {table.columns.flatMap((c) => [
              <th key={`${columnKey(c)}-best`} scope="col">best</th>,
              <th key={`${columnKey(c)}-final`} scope="col">final</th>,
              ...branchParts(c).map((name, j) => (
                <th key={`${columnKey(c)}-${j === 0 ? 'audio' : 'visual'}`} scope="col" title={`final test accuracy of the ${name} head alone`}>
                  {name}
                </th>
              )),
              ...(c.paper
                ? [
                    <th key={`${columnKey(c)}-paper`} scope="col" className="paper" style={PAPER_STYLE} title="The published number, not a run of this lab">
                      paper
                    </th>,
                  ]
                : []),
            ])}
          </tr>
        </thead>
        <tbody>
          {table.rows.map((row) => (
            <tr key={row.key} className={row.inLab ? undefined : 'missing'} data-method={row.method}>
              <th scope="row">
                {row.label}
                {row.settings && <span className="hint"> ({row.settings})</span>}
                {!row.inLab && <span className="hint"> (not in the lab)</span>}
              </th>
              {table.columns.flatMap((c, i) => {
                const cell = row.cells[i];
                const paper = row.paper[i];
                const parts = (['best', 'final', 'audio', 'visual'] as const).map((p) => (
                  <td key={`${columnKey(c)}-${p}`} title={cell ? `seeds ${cell.seeds.join(', ')}; ${cell.preset}, ${cell.epochs} epochs` : undefined}>
                    {cell ? statText(cell[p]) : '–'}
                  </td>
                ));
                if (!c.paper) return parts;
                return [
                  ...parts,
                  <td key={`${columnKey(c)}-paper`} className="paper" style={PAPER_STYLE} title={paper ? `${paper.source === 'paper' ? `the paper, ${paper.where}` : 'BalanceBenchmark, not the paper'}` : undefined}>
                    {paper ? `${paper.acc.toFixed(2)}${paper.source === 'BalanceBenchmark' ? ' †' : ''}` : '–'}
                  </td>,
                ];
              })}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function Reproduce() {
  const controller = useController();
  const config = useLab(selectConfig);
  const session = useLab(selectSession);
  const progress = useLab(selectProgress);
  const runs = useLab(selectRuns);
  const datasetId = useLab(selectDatasetId);
  const datasets = useLab(selectDatasets);
  const interrupted = useLab(selectInterrupted);
  const datasetName = datasets.find((d) => d.id === datasetId)?.name ?? 'dataset';
  const [queue, setQueue] = useState<StoredQueue | null>(loadQueue);
  const busy = sessionBusy(session);
  const now = useNow(1000, busy && queue !== null);
  const planned = useMemo(() => table2Queue(config), [config]);
  const paper = paperDatasetOf(datasetName);

  const status = useMemo(() => {
    if (!queue) return null;
    const live = liveProgress({ progress, session, runs }, now);
    return queueProgress(queue, Object.values(runs), { runId: session.runId, eta: live?.eta ?? null, epochSeconds: live?.epochSeconds ?? null });
  }, [queue, progress, session, runs, now]);

  const start = () => {
    const q = storedQueue(datasetId, datasetName, planned, Date.now());
    setQueue(q);
    saveQueue(q);
    controller.runSweep(planned, { teachersFromRuns: true });
  };
  // The sweep a reload interrupted, when it is this queue's, resumes as such (on its dataset, and the form gets its
  // settings back when it ends); else the queue runs again as a sweep on the selected dataset, if it is the queue's.
  const interruptedHere = useMemo(() => {
    if (!queue || !interrupted) return false;
    const inQueue = new Set(queue.configs.map((c) => stableStringify(c)));
    return interrupted.configs.every((c) => inQueue.has(stableStringify(c))) && datasets.some((d) => d.id === queue.datasetId);
  }, [queue, interrupted, datasets]);
  const resume = () => {
    if (interruptedHere) controller.resumeSweep();
    else if (queue) controller.runSweep(queue.configs, { teachersFromRuns: true });
  };
  const forget = () => {
    setQueue(null);
    saveQueue(null);
  };
  const queueHere = queue !== null && queue.datasetId === datasetId;
  // The unimodal entries are named by the queue's dataset's branch kinds ("Audio only"), where it is loaded.
  const queueDataset = queue ? datasets.find((d) => d.id === queue.datasetId) : undefined;
  const queuePair = queueDataset ? entryModalities(queueDataset) : null;

  return (
    <fieldset className="sweep reproduce" aria-label="Reproduce Table 2">
      <legend>Reproduce Table 2</legend>
      <div className="fields row">
        <button type="button" disabled={busy} onClick={start} title="Trains every method below x seeds 0, 1, 2 one after another (runs already done are skipped)">
          Reproduce Table 2 on this dataset
        </button>
        <button
          type="button"
          title="The same runs as a bash script of torchrun commands for the PyTorch trainer (python -m bmm_lab.train)"
          onClick={() => controller.download(exportFileName(fileSlug(datasetName), 'table2-torchrun', 'sh'), new Blob([torchrunScript(planned, datasetName)], { type: 'text/x-shellscript' }))}
        >
          Export as torchrun script
        </button>
      </div>
      <p className="hint" id="reproduce-help">
        {planned.length} runs on {datasetName}, preset {config.preset} ({config.epochs} epochs): ERM, G-Blending, PMR, OGM-GE, MM, B-MM, AGM, MMPareto, both
        unimodal baselines and then UMT (its teachers: those two runs of the seed) with concatenation x seeds 0, 1, 2, at the paper&apos;s settings (Adam lr 1e-3,
        weight decay 1e-4; B-MM beta 1 after 5 warm-up epochs, m unbounded; MM alpha 0.5; OGM-GE alpha 0.8; UMT alpha 1).
        {config.epochs <= 5 ? ` With ${config.epochs} epochs B-MM never leaves its 5-epoch warm-up (it trains as ERM); the paper trains 60.` : ''}
        {paper ? ` ${datasetName} is the paper's ${paper}: its numbers stand beside ours in the table.` : ' This dataset is none of the paper\'s, so the table has no paper column for it.'}
      </p>
      <p className="hint missing-methods">
        Not in the lab yet (the paper&apos;s numbers only):{' '}
        {MISSING_METHODS.map((m) => {
          const shown = paper ? [paper] : PAPER_DATASETS;
          return `${ROW_METHOD_NAMES[m]} (${shown.map((d) => `${d} ${paperResult(m, 'concat', d)?.acc.toFixed(2) ?? '–'}`).join(', ')})`;
        }).join('; ')}
        .
      </p>
      {queue && status && (
        <div className="reproduce-progress" role="group" aria-label="Table 2 queue">
          <p>
            Table 2 queue on {queue.datasetName}: <strong>{status.done} of {status.total} runs done</strong>
            {status.done === status.total ? ' (complete)' : ` — total ETA ${formatDuration(status.eta)}`}
            {status.current !== null ? `; training ${queueEntryLabel(queue.configs[status.current], queuePair)}` : ''}
            {status.secondsPerRun !== null ? `; ${formatDuration(status.secondsPerRun)} per run` : ''}.{' '}
            {status.done < status.total && status.current === null && (
              <button
                type="button"
                className="small"
                disabled={busy || !(queueHere || interruptedHere)}
                onClick={resume}
                title={queueHere || interruptedHere ? 'Trains the runs of the queue not done yet' : `Select ${queue.datasetName} first`}
              >
                Resume queue
              </button>
            )}{' '}
            <button type="button" className="small" onClick={forget}>
              Forget queue
            </button>
          </p>
          <div className="progress-track" role="progressbar" aria-label="Table 2 queue progress" aria-valuemin={0} aria-valuemax={status.total} aria-valuenow={status.done}>
            <div className="progress-fill" style={{ width: `${((100 * status.done) / status.total).toFixed(2)}%` }} />
          </div>
          <details>
            <summary>The queue&apos;s runs</summary>
            <ol className="queue-list">
              {queue.configs.map((c, i) => (
                <li key={i} data-state={status.states[i]}>
                  {queueEntryLabel(c, queuePair)}: {status.states[i]}
                </li>
              ))}
            </ol>
          </details>
        </div>
      )}
    </fieldset>
  );
}

export function ComparePanel() {
  const controller = useController();
  const list = useRunList();
  const table = useMemo(() => buildResultsTable(list), [list]);
  const finished = list.filter((r) => r.status === 'done' && r.epochs.length > 0).length;
  const save = (format: TableFormat) =>
    controller.download(exportFileName(runsFileLabel(finished), 'results-table', TABLE_EXTENSIONS[format]), new Blob([formatTable(table, format)], { type: FORMAT_TYPES[format] }));
  return (
    <section className="panel compare-panel" aria-label="Compare">
      <header className="panel-header">
        <h2>Compare: methods x datasets (the paper&apos;s Tables 1-2)</h2>
        <span className="panel-actions">
          {TABLE_FORMATS.map((f) => (
            <button key={f} type="button" className="small" disabled={table.rows.length === 0} onClick={() => save(f)}>
              Table {FORMAT_NAMES[f]}
            </button>
          ))}
        </span>
      </header>
      {table.rows.length === 0 ? (
        <p className="hint">Finished runs appear here as a table of methods x datasets, mean ± std over their seeds.</p>
      ) : (
        <>
          <TableView table={table} />
          {table.notes.map((n) => (
            <p key={n} className="hint compare-note">
              {n}
            </p>
          ))}
        </>
      )}
      <Reproduce />
    </section>
  );
}
