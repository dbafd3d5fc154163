/**
 * Every run (this session's and the ones stored in IndexedDB): overlay in the charts, view, continue from its
 * checkpoint, export metrics, delete; the mean ± std table of runs that differ only in the seed; and sweeps.
 */
import { memo, useMemo, useState } from 'react';
import { METHODS, type MethodName } from '../core/config';
import { AUDIO_RGB, pairLabel, sharedPair } from '../core/modalities';
import { useController, useLab, useRunList } from './context';
import { metricsCsvFile, metricsJsonFile, runFileName } from './exportMetrics';
import { colorOfRun } from './palette';
import { formatPercent } from './progress';
import { runResults } from '../core/results';
import type { FolderFile } from './importRun';
import { canContinue, groupLabel, methodLabel, parseTags, runLabel, runModalities, runName, type RunRecord } from './run';
import { branchColumns, DEFAULT_RUN_VIEW, RUN_SORT_LABELS, runTableRows, type BranchColumns, type RunSortKey, type RunTableView } from './runTable';
import { formatDiff, formatStat, groupRuns, pairedDiff, parseSeedList, sweepConfigs, type RunGroup } from './runStats';
import { BEST_RULE_TEXT, type BestRule } from '../core/results';
import { GroupCurves } from './charts/GroupCurves';
import { selectedModalities, selectStableRuns, sessionBusy, type LabState } from './store';
import { runConfigDocument } from '../core/settingsDocument';
import { slurmScript, sweepGrid, torchrunScript } from '../core/sweepScript';

const selectRuns = selectStableRuns;

/** The picked folder's files, by their path inside it. */
function folderFiles(list: FileList): FolderFile[] {
  return Array.from(list, (f) => ({
    path: f.webkitRelativePath || f.name,
    text: () => f.text(),
    bytes: async () => new Uint8Array(await f.arrayBuffer()),
  }));
}
const selectOverlay = (s: LabState) => s.overlay;
const selectSession = (s: LabState) => s.session;
const selectConfig = (s: LabState) => s.config;
const selectSweep = (s: LabState) => s.sweep;
const selectInterrupted = (s: LabState) => s.interruptedSweep ?? null;
const selectDatasetName = (s: LabState) => s.datasets.find((d) => d.id === s.datasetId)?.name ?? 'dataset';
const selectSaveCheckpoints = (s: LabState) => s.saveCheckpoints;
const selectCheckpointsDisabled = (s: LabState) => s.checkpointsDisabled;
const selectStorage = (s: LabState) => s.storageAvailable;

/** Memoised: a row re-renders when its run (not counting per-batch points) or its place changes. */
const RunRow = memo(function RunRow({ run, live, busy }: { run: RunRecord; live: boolean; busy: boolean }) {
  const controller = useController();
  const overlay = useLab(selectOverlay);
  const results = runResults(run.epochs);
  const label = runName(run);
  const pair = runModalities(run);
  const [editing, setEditing] = useState(false);
  const [confirming, setConfirming] = useState(false);
  const last = run.epochs[run.epochs.length - 1]?.epoch ?? 0;
  const pct = (v: number | undefined) => formatPercent(v);
  return (
    <tr className={live ? 'live' : undefined}>
      <td>
        <input
          type="checkbox"
          checked={live || overlay[run.id] === true}
          disabled={live}
          aria-label={`Overlay ${label} in the charts`}
          onChange={(e) => controller.setOverlay(run.id, e.target.checked)}
        />
        <span className="swatch" style={{ background: colorOfRun(run) }} />
      </td>
      <td>
        <button type="button" className="link" onClick={() => void controller.viewRun(run.id)} title="Show in the UMAP and confusion panels">
          {label}
        </button>
        {run.name && <div className="hint">{runLabel(run.config, pair)}</div>}
        {run.tags?.map((t) => (
          <span key={t} className="tag">
            {t}
          </span>
        ))}
        {run.note && <div className="note">{run.note}</div>}
        {editing && <RunEditor run={run} onDone={() => setEditing(false)} />}
        {run.source === 'weights' && (
          <span className="badge" title={`Weights imported from ${run.importedFrom ?? 'a file'}: evaluated in the lab, not trained here`}>
            Imported
          </span>
        )}
        {run.source === 'pytorch' && (
          <span className="badge" title={run.importedFrom ? `Imported from ${run.importedFrom}` : 'Trained by the PyTorch trainer'}>
            PyTorch
          </span>
        )}
        <div className="hint">{new Date(run.createdAt).toLocaleString()}</div>
      </td>
      <td>
        {run.datasetName}
        <div className="hint">{pairLabel(pair)}</div>
      </td>
      <td>
        {run.status}
        {run.backend ? <div className="hint">{run.backend}</div> : null}
      </td>
      <td className="num">{run.source === 'weights' ? 'imported' : `${last} / ${run.config.epochs}`}</td>
      <td className="num">{pct(results?.best.fused)}</td>
      <td className="num">{pct(results?.best.audio)}</td>
      <td className="num">{pct(results?.best.visual)}</td>
      <td className="num">{pct(results?.final.fused)}</td>
      <td className="num">{pct(results?.final.audio)}</td>
      <td className="num">{pct(results?.final.visual)}</td>
      <td className="actions">
        {run.weightsStored && (
          <button
            type="button"
            className="small"
            disabled={busy}
            title="Load the stored weights (imported, or kept as a UMT teacher) on this run's dataset: confusion matrices and UMAP maps"
            aria-label={`Open weights of ${label}`}
            onClick={() => void controller.openRunWeights(run.id)}
          >
            Open weights
          </button>
        )}
        <button
          type="button"
          className="small"
          disabled={busy || !canContinue(run)}
          title={run.checkpointEpoch !== null ? `Checkpoint after epoch ${run.checkpointEpoch}` : 'No checkpoint stored'}
          aria-label={`Continue ${label}`}
          onClick={() => void controller.continueRun(run.id)}
        >
          Continue
        </button>
        <button
          type="button"
          className="small"
          disabled={run.epochs.length === 0}
          aria-label={`Download metrics CSV of ${label}`}
          onClick={() => {
            const file = metricsCsvFile([run]);
            controller.download(file.name, file.blob);
          }}
        >
          CSV
        </button>
        <button
          type="button"
          className="small"
          aria-label={`Download metrics JSON of ${label}`}
          onClick={() => {
            const file = metricsJsonFile(run);
            controller.download(file.name, file.blob);
          }}
        >
          JSON
        </button>
        <button
          type="button"
          className="small"
          title="The run's settings as a file: bmm-lab train --config, python -m bmm_lab.train --config"
          aria-label={`Download run config of ${label}`}
          onClick={() => controller.download(runFileName(run, 'config', 'run.json'), new Blob([runConfigDocument(run.config)], { type: 'application/json' }))}
        >
          Config
        </button>
        <button type="button" className="small" aria-expanded={editing} aria-label={`Edit name, tags and note of ${label}`} onClick={() => setEditing(!editing)}>
          Edit
        </button>
        {confirming ? (
          <span className="confirm" role="group" aria-label={`Confirm deleting ${label}`}>
            <button
              type="button"
              className="small danger"
              aria-label={`Yes, delete ${label}`}
              onClick={() => {
                setConfirming(false);
                controller.deleteRun(run.id);
              }}
            >
              Delete?
            </button>
            <button type="button" className="small" onClick={() => setConfirming(false)}>
              Keep
            </button>
          </span>
        ) : (
          <button type="button" className="small danger" disabled={live} aria-label={`Delete ${label}`} onClick={() => setConfirming(true)}>
            Delete
          </button>
        )}
      </td>
    </tr>
  );
});

/** The fused column and the two per-branch columns under a "best" or "final" header, named by the rows' pair. */
function BranchHeads({ heads }: { heads: BranchColumns }) {
  return (
    <>
      <th scope="col">fused</th>
      <th scope="col">{heads.audio}</th>
      <th scope="col">{heads.visual}</th>
    </>
  );
}

/** Name, tags and note of a run, saved with it. */
function RunEditor({ run, onDone }: { run: RunRecord; onDone: () => void }) {
  const controller = useController();
  const [name, setName] = useState(run.name ?? '');
  const [tags, setTags] = useState((run.tags ?? []).join(', '));
  const [note, setNote] = useState(run.note ?? '');
  const id = `edit-${run.id}`;
  return (
    <form
      className="run-editor"
      aria-label={`Name, tags and note of ${runName(run)}`}
      onSubmit={(e) => {
        e.preventDefault();
        controller.annotateRun(run.id, { name, tags: parseTags(tags), note });
        onDone();
      }}
    >
      <label htmlFor={`${id}-name`}>Name</label>
      <input id={`${id}-name`} type="text" value={name} title={`Empty: the generated label, ${runLabel(run.config, runModalities(run))}`} onChange={(e) => setName(e.target.value)} />
      <label htmlFor={`${id}-tags`}>Tags (comma-separated)</label>
      <input id={`${id}-tags`} type="text" value={tags} onChange={(e) => setTags(e.target.value)} />
      <label htmlFor={`${id}-note`}>Note</label>
      <textarea id={`${id}-note`} rows={2} value={note} onChange={(e) => setNote(e.target.value)} />
      <div>
        <button type="submit" className="small">
          Save
        </button>
        <button type="button" className="small" onClick={onDone}>
          Cancel
        </button>
      </div>
    </form>
  );
}

const selectDeleted = (s: LabState) => s.deleted;

/** "Deleted “…”. Undo" for each deletion that is not final yet. */
function UndoBar() {
  const controller = useController();
  const deleted = useLab(selectDeleted) ?? [];
  if (deleted.length === 0) return null;
  return (
    <div className="undo-bar" role="group" aria-label="Deleted runs" aria-live="polite">
      {deleted.map((d) => (
        <span key={d.id}>
          Deleted “{d.name}”.{' '}
          <button type="button" className="small" onClick={() => controller.undoDelete(d.id)}>
            Undo
          </button>
        </span>
      ))}
    </div>
  );
}

/** Filter and sort controls of the runs table. */
function RunTableControls({ view, setView, list }: { view: RunTableView; setView: (v: RunTableView) => void; list: RunRecord[] }) {
  const options = (values: string[]) => [...new Set(values)].sort();
  // A method named after a branch by the runs' pair ("RGB only"); "First branch only" when they have several.
  const pair = sharedPair(list.map(runModalities), AUDIO_RGB);
  const select = (key: 'method' | 'fusion' | 'preset' | 'dataset', label: string, values: string[]) => (
    <label className="inline">
      {label}{' '}
      <select value={view[key]} onChange={(e) => setView({ ...view, [key]: e.target.value })}>
        <option value="">all</option>
        {options(values).map((v) => (
          <option key={v} value={v}>
            {key === 'method' ? methodLabel(v, pair) : v}
          </option>
        ))}
      </select>
    </label>
  );
  return (
    <div className="run-table-controls" role="group" aria-label="Filter and sort runs">
      <label className="inline">
        Filter{' '}
        <input type="search" value={view.text} title="Matches the name, tags, note and settings a row shows" onChange={(e) => setView({ ...view, text: e.target.value })} />
      </label>
      {select('method', 'Method', list.map((r) => r.config.method))}
      {select('fusion', 'Fusion', list.map((r) => r.config.fusion))}
      {select('preset', 'Preset', list.map((r) => r.config.preset))}
      {select('dataset', 'Dataset', list.map((r) => r.datasetName))}
      <label className="inline">
        Sort by{' '}
        <select value={view.sort} onChange={(e) => setView({ ...view, sort: e.target.value as RunSortKey })}>
          {(Object.keys(RUN_SORT_LABELS) as RunSortKey[]).map((k) => (
            <option key={k} value={k}>
              {RUN_SORT_LABELS[k]}
            </option>
          ))}
        </select>
      </label>
      <button type="button" className="small" aria-label={view.descending ? 'Sorted descending; sort ascending' : 'Sorted ascending; sort descending'} onClick={() => setView({ ...view, descending: !view.descending })}>
        {view.descending ? '↓' : '↑'}
      </button>
    </div>
  );
}

function SweepForm({ busy }: { busy: boolean }) {
  const controller = useController();
  const config = useLab(selectConfig);
  const sweep = useLab(selectSweep);
  const interrupted = useLab(selectInterrupted);
  const datasetName = useLab(selectDatasetName);
  const datasetPair = useLab(selectedModalities);
  const [seedText, setSeedText] = useState('0-2');
  const [methods, setMethods] = useState<MethodName[]>([]);
  const parsed = useMemo(() => parseSeedList(seedText), [seedText]);
  const configs = 'seeds' in parsed ? sweepConfigs(config, { seeds: parsed.seeds, methods }) : [];
  return (
    <fieldset className="sweep">
      <legend>Sweep</legend>
      <div className="fields row">
        <div className="field">
          <label htmlFor="sweep-seeds">Seeds</label>
          <input id="sweep-seeds" type="text" value={seedText} onChange={(e) => setSeedText(e.target.value)} aria-describedby="sweep-seeds-help" />
        </div>
        <div className="field methods" role="group" aria-label="Methods">
          <span className="label">Methods</span>
          {METHODS.map((m) => (
            <label key={m} className="inline">
              <input
                type="checkbox"
                checked={methods.includes(m)}
                onChange={(e) => setMethods(e.target.checked ? [...methods, m] : methods.filter((x) => x !== m))}
              />
              {methodLabel(m, datasetPair)}
            </label>
          ))}
        </div>
        <button type="button" disabled={busy || configs.length === 0} onClick={() => controller.runSweep(configs)}>
          Run sweep
        </button>
        <button
          type="button"
          disabled={configs.length === 0}
          title="A bash script of torchrun commands (python -m bmm_lab.train), one run after another"
          onClick={() => controller.download('sweep.sh', new Blob([torchrunScript(configs, datasetName)], { type: 'text/x-shellscript' }))}
        >
          Export torchrun script
        </button>
        <button
          type="button"
          disabled={configs.length === 0}
          title="A SLURM array script, one task per run"
          onClick={() => controller.download('sweep.slurm', new Blob([slurmScript(configs, datasetName)], { type: 'text/x-shellscript' }))}
        >
          Export SLURM script
        </button>
        <button
          type="button"
          disabled={configs.length === 0}
          title="A grid for python -m bmm_lab.sweep GRID.json (data: ./pack, runs in ./runs, beside the file)"
          onClick={() => controller.download('sweep-grid.json', new Blob([sweepGrid(configs, { data: 'pack', out: 'runs' })], { type: 'application/json' }))}
        >
          Export sweep grid
        </button>
      </div>
      {interrupted && !sweep && (
        <p className="interrupted-sweep" role="group" aria-label="Interrupted sweep">
          A reload interrupted a sweep at run {interrupted.index + 1} of {interrupted.configs.length}.{' '}
          <button type="button" className="small" disabled={busy} onClick={() => controller.resumeSweep()}>
            Resume sweep
          </button>{' '}
          <button type="button" className="small" onClick={() => controller.discardSweep()}>
            Discard
          </button>
        </p>
      )}
      <p className="hint" id="sweep-seeds-help">
        {'error' in parsed
          ? parsed.error
          : `${configs.length} runs of the current settings: ${methods.length ? methods.map((m) => methodLabel(m, datasetPair)).join(', ') : methodLabel(config.method, datasetPair)} × seeds ${parsed.seeds.join(', ')}`}
        {sweep ? ` — running ${sweep.index + 1} of ${sweep.configs.length}` : ''}
      </p>
    </fieldset>
  );
}

/** Mean ± std over finished runs that differ only in the seed, differences against a chosen baseline, and curves. */
function SeedGroups({ list }: { list: RunRecord[] }) {
  const runs = useLab(selectRuns);
  const groups = useMemo(() => groupRuns(list), [list]);
  const [baselineKey, setBaselineKey] = useState<string>('');
  if (groups.length === 0) return <p className="hint">Finished runs that differ only in their seed are summarised here.</p>;
  // Default baseline: the first ERM group, where there is one.
  const baseline = groups.find((g) => g.key === baselineKey) ?? (baselineKey === 'none' ? undefined : groups.find((g) => g.config.method === 'erm'));
  const rules = new Set(groups.map((g) => g.rule));
  const ruleText = rules.size === 1 && !rules.has('mixed') ? BEST_RULE_TEXT[[...rules][0] as BestRule] : 'per group: see the hint under each setting';
  const groupName = (g: RunGroup) => `${groupLabel(g.config, g.modalities)} · ${g.datasetName} (${pairLabel(g.modalities)})`;
  const heads = branchColumns(groups.map((g) => g.modalities));
  return (
    <>
      <div className="baseline-picker">
        <label className="inline">
          Baseline{' '}
          <select value={baseline?.key ?? 'none'} onChange={(e) => setBaselineKey(e.target.value)}>
            <option value="none">none</option>
            {groups.map((g) => (
              <option key={g.key} value={g.key}>
                {groupName(g)}
              </option>
            ))}
          </select>
        </label>
        <span className="hint">
          Best = {ruleText}. Δ = setting − baseline in points, mean ± std over the seeds both ran.
        </span>
      </div>
      <div className="table-wrap">
        <table className="groups">
          <thead>
            <tr>
              <th rowSpan={2} scope="col">
                Setting
              </th>
              <th rowSpan={2} scope="col">
                Seeds
              </th>
              <th colSpan={3} scope="colgroup">
                Best test acc
              </th>
              <th colSpan={3} scope="colgroup">
                Final test acc
              </th>
              {baseline && (
                <th colSpan={3} scope="colgroup">
                  Δ vs baseline
                </th>
              )}
            </tr>
            <tr>
              <BranchHeads heads={heads} />
              <BranchHeads heads={heads} />
              {baseline && (
                <>
                  <th scope="col">best fused</th>
                  <th scope="col">final fused</th>
                  <th scope="col">final {heads.visual}</th>
                </>
              )}
            </tr>
          </thead>
          <tbody>
            {groups.map((g) => {
              const diff = baseline && g.key !== baseline.key ? pairedDiff(g, baseline) : null;
              return (
                <tr key={g.key} className={baseline?.key === g.key ? 'baseline' : undefined}>
                  <td>
                    {groupLabel(g.config, g.modalities)}
                    <div className="hint">
                      {g.datasetName} ({pairLabel(g.modalities)})
                      {rules.size > 1 ? ` · best: ${g.rule === 'mixed' ? 'mixed rules' : g.rule === 'validation' ? 'by validation' : 'best test epoch'}` : ''}
                    </div>
                  </td>
                  <td>
                    {g.seeds.join(', ')} (n = {g.runIds.length})
                  </td>
                  <td className="num">{formatStat(g.best.fused)}</td>
                  <td className="num">{formatStat(g.best.audio)}</td>
                  <td className="num">{formatStat(g.best.visual)}</td>
                  <td className="num">{formatStat(g.final.fused)}</td>
                  <td className="num">{formatStat(g.final.audio)}</td>
                  <td className="num">{formatStat(g.final.visual)}</td>
                  {baseline &&
                    (g.key === baseline.key ? (
                      <td colSpan={3} className="hint">
                        baseline
                      </td>
                    ) : diff ? (
                      <>
                        <td className="num" title={`paired seeds ${diff.seeds.join(', ')}`}>
                          {formatDiff(diff.best.fused)}
                        </td>
                        <td className="num" title={`paired seeds ${diff.seeds.join(', ')}`}>
                          {formatDiff(diff.final.fused)}
                        </td>
                        <td className="num" title={`paired seeds ${diff.seeds.join(', ')}`}>
                          {formatDiff(diff.final.visual)}
                        </td>
                      </>
                    ) : (
                      <td colSpan={3} className="hint">
                        no seed in common
                      </td>
                    ))}
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
      {heads.mixedNote && <p className="hint">{heads.mixedNote}</p>}
      <GroupCurves groups={groups} runs={runs} />
    </>
  );
}

export function RunsPanel() {
  const controller = useController();
  const session = useLab(selectSession);
  const saveCheckpoints = useLab(selectSaveCheckpoints);
  const checkpointsDisabled = useLab(selectCheckpointsDisabled);
  const storage = useLab(selectStorage);
  const busy = sessionBusy(session);
  const list = useRunList();
  const [view, setView] = useState<RunTableView>(DEFAULT_RUN_VIEW);
  const shown = useMemo(() => runTableRows(list, view), [list, view]);
  const heads = useMemo(() => branchColumns(shown.map(runModalities)), [shown]);

  return (
    <section className="panel runs-panel" aria-label="Runs">
      <header className="panel-header">
        <h2>Runs</h2>
        <label className="inline">
          <input type="checkbox" checked={saveCheckpoints && !checkpointsDisabled} disabled={checkpointsDisabled || !storage} onChange={(e) => controller.setSaveCheckpoints(e.target.checked)} />
          Save a checkpoint every epoch
        </label>
        <label className="file-button" title="A trainer's output folder: metrics.jsonl, config.json and model.safetensors (python -m bmm_lab.train --out DIR)">
          Import run
          <input
            type="file"
            multiple
            aria-label="Import run folder"
            ref={(el) => el?.setAttribute('webkitdirectory', '')}
            onChange={(e) => {
              if (e.target.files) void controller.importRun(folderFiles(e.target.files));
              e.target.value = '';
            }}
          />
        </label>
        {!storage && <span className="hint">Browser storage is unavailable: runs last until the page closes.</span>}
        {checkpointsDisabled && <span className="hint warn">Storage full: checkpoints are no longer saved.</span>}
      </header>
      <UndoBar />
      {list.length > 0 && <RunTableControls view={view} setView={setView} list={list} />}
      {list.length === 0 ? (
        <p className="hint">Runs are listed here, and kept in this browser, from the first time you press Train.</p>
      ) : shown.length === 0 ? (
        <p className="hint">No run matches the filter ({list.length} runs in all).</p>
      ) : (
        <div className="table-wrap">
          <table className="runs">
            <thead>
              <tr>
                <th rowSpan={2} scope="col">
                  Chart
                </th>
                <th rowSpan={2} scope="col">
                  Run
                </th>
                <th rowSpan={2} scope="col">
                  Dataset
                </th>
                <th rowSpan={2} scope="col">
                  Status
                </th>
                <th rowSpan={2} scope="col">
                  Epochs
                </th>
                <th colSpan={3} scope="colgroup" title="With a validation split: the test accuracy at the best validation epoch; without: the best test epoch (optimistic)">
                  Best test acc
                </th>
                <th colSpan={3} scope="colgroup">
                  Final test acc
                </th>
                <th rowSpan={2} scope="col">
                  Actions
                </th>
              </tr>
              <tr>
                <BranchHeads heads={heads} />
                <BranchHeads heads={heads} />
              </tr>
            </thead>
            <tbody>
              {shown.map((run) => (
                <RunRow key={run.id} run={run} live={run.id === session.runId} busy={busy} />
              ))}
            </tbody>
          </table>
          {heads.mixedNote && <p className="hint">{heads.mixedNote}</p>}
        </div>
      )}
    </section>
  );
}

/**
 * Across-seed statistics and the sweep form, in a region of their own beside "Runs" (so the runs region holds
 * exactly one table row per run).
 */
export function SeedsPanel() {
  const session = useLab(selectSession);
  const busy = sessionBusy(session);
  const list = useRunList();
  return (
    <section className="panel seeds-panel" aria-label="Across seeds">
      <header className="panel-header">
        <h2>Across seeds (mean ± std, %)</h2>
      </header>
      <SeedGroups list={list} />
      <SweepForm busy={busy} />
    </section>
  );
}
