/**
 * The results table: methods x datasets, as the paper's Tables 1 and 2 lay them out, from the runs at hand (the
 * lab's Compare view and `bmm-lab table`). Each cell is one across-seeds group (`runGroups.ts`): best and final
 * fused test accuracy and the final accuracy of each unimodal head, mean ± std over the seeds present, with the
 * number of seeds; "best" follows `results.ts` (the test accuracy at the best validation epoch with a validation
 * split, else the best test epoch) and the table says which rule its cells used. Where a dataset is one of the
 * paper's (matched by name), the paper's number sits beside ours in its own marked column.
 *
 * Rows are methods with their fusion (OGM and OGM-GE are two rows: `ogm.mode`). Runs of one method that differ in
 * other settings (B-MM's bound on m, say) are separate rows, named by the settings they differ in; settings that
 * only size a run (preset, epochs, batch, width, input sizes) split a row only where one dataset has two of them.
 *
 * Columns are datasets with their branch kinds: each column's two unimodal numbers are named by its pair ("Audio",
 * "RGB"; "RGB", "Flow" on UCF-101 as RGB + flow), and one dataset trained as two pairs is two columns. The rows
 * named after a branch (`audio-only`, `visual-only`) take the kind's name where every column has one pair
 * ("RGB only"), else "First branch only" with a note saying each column's first branch.
 *
 * Exports: CSV (one line per row and dataset, accuracies in percent), Markdown and LaTeX (booktabs tabular). The
 * CSV's column keys keep `audio_*` and `visual_*` for the first and second branch, and its last column,
 * `modalities`, names the pair (`audio+rgb`, `rgb+flow`); Markdown and LaTeX headers use the kinds' names.
 */
import { getSetting, PRESET_SIZES, type TrainConfig } from './config';
import type { BestRule } from './results';
import { BEST_RULE_TEXT } from './results';
import { AUDIO_RGB, branchName, capitalised, pairLabel, pairName, RGB_FLOW, samePair, sharedPair, soloMethodLabel, type ModalityPair } from './modalities';
import { formatStat, groupRuns, groupSettings, stableStringify, type GroupableRun, type RunGroup, type Stat } from './runGroups';

export type PaperDataset = 'CREMA-D' | 'Kinetics-Sounds' | 'UCF-101';
export const PAPER_DATASETS: readonly PaperDataset[] = ['CREMA-D', 'Kinetics-Sounds', 'UCF-101'];

/** The paper's dataset a lab dataset stands for, by its name ("CREMA-D", "crema-d pack", "kinetics_sounds", "UCF101"). */
export function paperDatasetOf(name: string): PaperDataset | null {
  const n = name.toLowerCase();
  if (/crema/.test(n)) return 'CREMA-D';
  if (/kinetic/.test(n)) return 'Kinetics-Sounds';
  if (/ucf/.test(n)) return 'UCF-101';
  return null;
}

/** A row's method: the lab's methods with OGM (ogm.mode ogm) apart from OGM-GE, and the paper's methods the lab lacks. */
export type RowMethod =
  | 'erm'
  | 'mm'
  | 'bmm'
  | 'ogm-ge'
  | 'ogm'
  | 'audio-only'
  | 'visual-only'
  | 'mmpareto'
  | 'agm'
  | 'pmr'
  | 'gblend'
  | 'umt'
  | 'greedy'
  | 'atf';

/** Methods of the paper's Table 2 that the lab does not have (yet). */
export const MISSING_METHODS: readonly RowMethod[] = ['atf'];

export type RowFusion = TrainConfig['fusion'];

/** Row order: the paper's Table 2 first (concat), then the other methods, then the other fusions of Table 1. */
const METHOD_ORDER: readonly RowMethod[] = ['erm', 'gblend', 'umt', 'pmr', 'ogm-ge', 'ogm', 'greedy', 'atf', 'mm', 'bmm', 'agm', 'mmpareto', 'audio-only', 'visual-only'];
const FUSION_ORDER: readonly RowFusion[] = ['concat', 'sum', 'decision', 'film', 'gated'];

export const ROW_METHOD_NAMES: Readonly<Record<RowMethod, string>> = {
  erm: 'ERM',
  mm: 'MM',
  bmm: 'B-MM',
  'ogm-ge': 'OGM-GE',
  ogm: 'OGM',
  'audio-only': 'Audio only',
  'visual-only': 'Visual only',
  mmpareto: 'MMPareto',
  agm: 'AGM',
  pmr: 'PMR',
  'gblend': 'G-Blending',
  umt: 'UMT',
  greedy: 'Greedy',
  atf: 'ATF',
};

/** Fusions as the paper's Table 1 names them. */
export const FUSION_NAMES: Readonly<Record<RowFusion, string>> = { concat: 'Concat', sum: 'Sum', decision: 'Decision fusion', film: 'FiLM', gated: 'Bi-Gated' };

/**
 * "Concat" (plain training with that fusion), "Concat + B-MM"; a method named after a branch by the table's pair
 * ("Concat + RGB only"; null: the columns differ, "Concat + First branch only").
 */
export function rowLabel(method: RowMethod, fusion: RowFusion, pair: ModalityPair | null): string {
  return method === 'erm' ? FUSION_NAMES[fusion] : `${FUSION_NAMES[fusion]} + ${soloMethodLabel(method, pair) ?? ROW_METHOD_NAMES[method]}`;
}

/** The row a run's config belongs to. */
export function rowMethodOf(config: TrainConfig): RowMethod {
  if (config.method === 'ogm-ge' && getSetting(config, 'ogm.mode') === 'ogm') return 'ogm';
  return config.method;
}

export type PaperSource = 'paper' | 'BalanceBenchmark';

export interface PaperResult {
  method: RowMethod;
  fusion: RowFusion;
  dataset: PaperDataset;
  /** Test accuracy in percent, as printed. */
  acc: number;
  source: PaperSource;
  /** Where the number is printed. */
  where: string;
}

export const PAPER_CITATION = 'Mixup Helps Understanding Multimodal Video Better (Balanced Multimodal Mixup), Tables 1 and 2';
export const BALANCE_BENCHMARK_CITATION = 'BalanceBenchmark (the public benchmark of multimodal imbalance methods), CREMA-D';

type Triple = [number, number, number];
function paperRows(method: RowMethod, fusion: RowFusion, where: string, [crema, ks, ucf]: Triple): PaperResult[] {
  return PAPER_DATASETS.map((dataset, i) => ({ method, fusion, dataset, acc: [crema, ks, ucf][i], source: 'paper' as const, where }));
}

/**
 * The paper's numbers (CREMA-D, Kinetics-Sounds, UCF-101; the mean of three seeds, 60 epochs, batch 64, Adam lr
 * 1e-3), and BalanceBenchmark's for the two methods that lead it on CREMA-D. Table 2's "+ OGM" row is OGM-GE
 * here: the paper's text names OGM-GE (Peng et al., 2022) as the method compared, and its number is Table 1's
 * "Concat + OGM-GE" of METHOD.md section 5.
 */
export const PAPER_RESULTS: readonly PaperResult[] = [
  ...paperRows('erm', 'concat', 'Tables 1 and 2', [60.62, 48.5, 79.09]),
  ...paperRows('erm', 'sum', 'Table 1', [57.8, 48.84, 77.08]),
  ...paperRows('erm', 'decision', 'Table 1', [61.83, 49.34, 77.74]),
  ...paperRows('erm', 'film', 'Table 1', [59.68, 48.65, 78.72]),
  ...paperRows('erm', 'gated', 'Table 1', [60.89, 49.23, 77.82]),
  ...paperRows('mm', 'concat', 'Tables 1 and 2', [64.65, 50.89, 80.81]),
  ...paperRows('mm', 'sum', 'Table 1', [63.58, 50.62, 79.88]),
  ...paperRows('mm', 'decision', 'Table 1', [65.86, 51.85, 80.25]),
  ...paperRows('bmm', 'concat', 'Tables 1 and 2', [69.22, 53.66, 83.32]),
  ...paperRows('bmm', 'sum', 'Table 1', [68.15, 52.58, 81.92]),
  ...paperRows('bmm', 'decision', 'Table 1', [68.82, 53.82, 82.47]),
  ...paperRows('gblend', 'concat', 'Table 2', [67.34, 51.46, 82.21]),
  ...paperRows('umt', 'concat', 'Table 2', [65.46, 50.31, 82.1]),
  ...paperRows('pmr', 'concat', 'Table 2', [67.47, 51.89, 82.34]),
  ...paperRows('ogm-ge', 'concat', 'Table 2 ("+ OGM")', [68.55, 51.23, 82.55]),
  ...paperRows('greedy', 'concat', 'Table 2', [66.13, 52.43, 81.95]),
  ...paperRows('atf', 'concat', 'Table 2', [64.25, 51.54, 82.16]),
  { method: 'agm', fusion: 'concat', dataset: 'CREMA-D', acc: 71.59, source: 'BalanceBenchmark', where: 'BalanceBenchmark' },
  { method: 'mmpareto', fusion: 'concat', dataset: 'CREMA-D', acc: 79.97, source: 'BalanceBenchmark', where: 'BalanceBenchmark' },
];

/** Rows shown with the paper's numbers even before any run of theirs: Table 2 and BalanceBenchmark's two. */
const REFERENCE_ROWS: readonly RowMethod[] = ['erm', 'gblend', 'umt', 'pmr', 'ogm-ge', 'greedy', 'atf', 'mm', 'bmm', 'agm', 'mmpareto'];

export function paperResult(method: RowMethod, fusion: RowFusion, dataset: PaperDataset | null): PaperResult | null {
  if (!dataset) return null;
  return PAPER_RESULTS.find((p) => p.method === method && p.fusion === fusion && p.dataset === dataset) ?? null;
}

export interface TableColumn {
  /** The lab's dataset name. */
  dataset: string;
  /** The branch kinds of the column's runs. */
  modalities: ModalityPair;
  /** The column's heading: the dataset's name, with its pair where the table has the dataset as two pairs. */
  title: string;
  paper: PaperDataset | null;
}

export interface TableCell {
  seeds: number[];
  /** Fused test accuracy: best (by `rule`) and final; the unimodal heads' final test accuracy. Fractions. */
  best: Stat;
  final: Stat;
  audio: Stat;
  visual: Stat;
  rule: BestRule | 'mixed';
  preset: string;
  epochs: number;
}

export interface TableRow {
  key: string;
  method: RowMethod;
  fusion: RowFusion;
  /** "Concat + B-MM". */
  label: string;
  /** The settings that tell this row from others of the same method and fusion ("bmm.maxM 1"); '' when alone. */
  settings: string;
  /** False for the paper's methods the lab does not have. */
  inLab: boolean;
  /** One per column: the group of runs, or null. */
  cells: (TableCell | null)[];
  /** One per column: the paper's (or BalanceBenchmark's) number, or null. */
  paper: (PaperResult | null)[];
}

export interface ResultsTable {
  columns: TableColumn[];
  rows: TableRow[];
  /** The rule behind every "best" cell; 'mixed' when cells differ; null without cells. */
  rule: BestRule | 'mixed' | null;
  /** What the numbers are, which rule "best" used, where the paper's come from. */
  notes: string[];
}

/** Settings that only size a run: they split a row only where one dataset has two groups that differ in them. */
const SIZE_SETTINGS = new Set(['preset', 'epochs', 'batch', 'width', 'audioHeight', 'audioWidth', 'visualSize', 'frames']);
/** Settings the row itself names. */
const ROW_SETTINGS = new Set(['method', 'fusion', 'ogm.mode']);

function signature(config: TrainConfig, withSizes: boolean): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [path, value] of Object.entries(groupSettings(config))) {
    if (ROW_SETTINGS.has(path) || (!withSizes && SIZE_SETTINGS.has(path))) continue;
    out[path] = value;
  }
  return out;
}

function cellOf(group: RunGroup): TableCell {
  return {
    seeds: [...group.seeds].sort((a, b) => a - b),
    best: group.best.fused,
    final: group.final.fused,
    audio: group.final.audio,
    visual: group.final.visual,
    rule: group.rule,
    preset: group.config.preset,
    epochs: group.config.epochs,
  };
}

function valueText(v: unknown): string {
  return typeof v === 'boolean' ? (v ? 'on' : 'off') : String(v);
}

export interface TableOptions {
  /** Show Table 2's and BalanceBenchmark's rows (with the paper's numbers) when a column is a paper dataset (default true). */
  paperRows?: boolean;
}

/** The table of `runs` (only finished runs count; see `groupRuns`). */
export function buildResultsTable(runs: readonly GroupableRun[], options: TableOptions = {}): ResultsTable {
  const groups = groupRuns(runs);
  const columns: TableColumn[] = [];
  const inColumn = (c: TableColumn, g: RunGroup) => c.dataset === g.datasetName && samePair(c.modalities, g.modalities);
  for (const g of groups) {
    if (!columns.some((c) => inColumn(c, g))) columns.push({ dataset: g.datasetName, modalities: g.modalities, title: g.datasetName, paper: paperDatasetOf(g.datasetName) });
  }
  for (const c of columns) if (columns.filter((o) => o.dataset === c.dataset).length > 1) c.title = `${c.dataset} (${pairLabel(c.modalities)})`;
  const col = (g: RunGroup) => columns.findIndex((c) => inColumn(c, g));
  // One pair for the whole table names the branch rows by its kinds; several: by the branch.
  const pair = sharedPair(columns.map((c) => c.modalities), AUDIO_RGB);

  // Buckets of groups per method, fusion and settings (sizes aside); a bucket with two groups on one dataset splits by sizes too.
  interface Bucket { method: RowMethod; fusion: RowFusion; sig: Record<string, unknown>; groups: RunGroup[] }
  const buckets = new Map<string, Bucket>();
  for (const g of groups) {
    const method = rowMethodOf(g.config);
    const sig = signature(g.config, false);
    const key = `${method}|${g.config.fusion}|${stableStringify(sig)}`;
    const b = buckets.get(key) ?? { method, fusion: g.config.fusion, sig, groups: [] };
    b.groups.push(g);
    buckets.set(key, b);
  }
  const finalBuckets: Bucket[] = [];
  for (const b of buckets.values()) {
    const datasets = b.groups.map((g) => col(g));
    if (new Set(datasets).size === datasets.length) {
      finalBuckets.push(b);
      continue;
    }
    const split = new Map<string, Bucket>();
    for (const g of b.groups) {
      const sig = signature(g.config, true);
      const key = stableStringify(sig);
      const s = split.get(key) ?? { method: b.method, fusion: b.fusion, sig, groups: [] };
      s.groups.push(g);
      split.set(key, s);
    }
    finalBuckets.push(...split.values());
  }

  const rows: TableRow[] = finalBuckets.map((b) => {
    const cells: (TableCell | null)[] = columns.map(() => null);
    for (const g of b.groups) cells[col(g)] = cellOf(g);
    return {
      key: `${b.method}|${b.fusion}|${stableStringify(b.sig)}`,
      method: b.method,
      fusion: b.fusion,
      label: rowLabel(b.method, b.fusion, pair),
      settings: '',
      inLab: true,
      cells,
      paper: columns.map((c) => paperResult(b.method, b.fusion, c.paper)),
    };
  });
  // Name each row of a method and fusion that has several by the settings they differ in.
  for (const row of rows) {
    const siblings = finalBuckets.filter((b) => b.method === row.method && b.fusion === row.fusion);
    if (siblings.length < 2) continue;
    const own = finalBuckets[rows.indexOf(row)].sig;
    const paths = [...new Set(siblings.flatMap((s) => Object.keys(s.sig)))].filter((p) => new Set(siblings.map((s) => stableStringify(s.sig[p]))).size > 1);
    // A size the preset sets goes without saying once the preset is named.
    const presetSizes = (PRESET_SIZES as Record<string, Record<string, unknown>>)[String(own.preset)] ?? {};
    const named = paths.filter((p) => p in own && !(paths.includes('preset') && presetSizes[p] === own[p]));
    row.settings = named.map((p) => `${p} ${valueText(own[p])}`).join(', ');
  }

  if ((options.paperRows ?? true) && columns.some((c) => c.paper)) {
    for (const method of REFERENCE_ROWS) {
      if (rows.some((r) => r.method === method && r.fusion === 'concat')) continue;
      const paper = columns.map((c) => paperResult(method, 'concat', c.paper));
      if (paper.every((p) => p === null)) continue;
      rows.push({
        key: `${method}|concat|paper`,
        method,
        fusion: 'concat',
        label: rowLabel(method, 'concat', pair),
        settings: '',
        inLab: !MISSING_METHODS.includes(method),
        cells: columns.map(() => null),
        paper,
      });
    }
  }
  rows.sort(
    (a, b) =>
      FUSION_ORDER.indexOf(a.fusion) - FUSION_ORDER.indexOf(b.fusion) ||
      METHOD_ORDER.indexOf(a.method) - METHOD_ORDER.indexOf(b.method) ||
      a.settings.localeCompare(b.settings),
  );

  const rules = new Set(rows.flatMap((r) => r.cells.filter((c): c is TableCell => c !== null).map((c) => c.rule)));
  const rule: ResultsTable['rule'] = rules.size === 0 ? null : rules.size === 1 ? [...rules][0] : 'mixed';
  return { columns, rows, rule, notes: tableNotes(columns, rows, rule, pair) };
}

export function ruleText(rule: BestRule | 'mixed' | null): string {
  if (rule === null) return 'no runs yet';
  if (rule === 'mixed') return `mixed: ${BEST_RULE_TEXT.validation} where the runs had a validation split, else the ${BEST_RULE_TEXT.test}`;
  return BEST_RULE_TEXT[rule];
}

/** The names of a column's two unimodal numbers: its pair's kinds ("Audio", "RGB"). */
export function branchParts(column: Pick<TableColumn, 'modalities'>): [string, string] {
  return [branchName(column.modalities, 'audio'), branchName(column.modalities, 'visual')];
}

function tableNotes(columns: TableColumn[], rows: TableRow[], rule: ResultsTable['rule'], pair: ModalityPair | null): string[] {
  const heads = pair ? `${branchParts({ modalities: pair }).join(', ')}: the final test accuracy of each unimodal head` : 'the two branch columns: the final test accuracy of each unimodal head, named by each column\'s modalities';
  const notes = [`Test accuracy in %, mean ± std over seeds (n seeds); best: ${ruleText(rule)}; final: the last epoch; ${heads}.`];
  if (!pair && rows.some((r) => r.method === 'audio-only' || r.method === 'visual-only')) {
    notes.push(`First and second branch: ${columns.map((c) => `${c.title} ${pairLabel(c.modalities)}`).join('; ')}.`);
  }
  if (columns.some((c) => c.paper)) {
    notes.push(`paper: ${PAPER_CITATION} (the mean of three seeds).`);
    const named = columns.filter((c) => c.paper && c.paper !== c.dataset).map((c) => `${c.dataset} as the paper's ${c.paper}`);
    if (named.length) notes.push(`Datasets matched to the paper's by name: ${named.join(', ')}.`);
    if (rows.some((r) => r.paper.some((p) => p?.source === 'BalanceBenchmark'))) notes.push(`†: ${BALANCE_BENCHMARK_CITATION}, not the paper's.`);
    if (rows.some((r) => r.method === 'ogm-ge' && r.paper.some((p) => p))) notes.push(`OGM-GE's paper number is Table 2's "+ OGM" row (the paper's text compares with OGM-GE).`);
    const ucf = columns.filter((c) => c.paper === 'UCF-101' && !samePair(c.modalities, RGB_FLOW));
    if (ucf.length) notes.push(`UCF-101: the paper pairs RGB frames with optical flow; ${ucf.map((c) => `${c.title} pairs ${pairLabel(c.modalities)}`).join(', ')}.`);
  }
  if (rows.some((r) => !r.inLab)) notes.push(`not in the lab: ${MISSING_METHODS.map((m) => ROW_METHOD_NAMES[m]).join(', ')} (only the paper's numbers).`);
  return notes;
}

// ---- exports ----

function rowName(row: TableRow): string {
  return `${row.label}${row.settings ? ` (${row.settings})` : ''}${row.inLab ? '' : ' (not in the lab)'}`;
}

/** "69.1 ± 0.8 (3)"; "–" without runs. */
export function statText(stat: Stat): string {
  return stat.n === 0 ? '–' : `${formatStat(stat)} (${stat.n})`;
}

function paperText(p: PaperResult | null, dagger: string): string {
  if (!p) return '–';
  return `${p.acc.toFixed(2)}${p.source === 'BalanceBenchmark' ? dagger : ''}`;
}

const CELL_PARTS = ['best', 'final', 'audio', 'visual'] as const;

/** A column's headers: best, final, its two branches by name, and paper where the dataset is the paper's. */
function headerParts(column: TableColumn): string[] {
  return ['best', 'final', ...branchParts(column), ...(column.paper ? ['paper'] : [])];
}

function rowParts(row: TableRow, i: number, column: TableColumn, dagger: string): string[] {
  const cell = row.cells[i];
  const ours = CELL_PARTS.map((p) => (cell ? statText(cell[p]) : '–'));
  return column.paper ? [...ours, paperText(row.paper[i], dagger)] : ours;
}

function mdEscape(text: string): string {
  return text.replace(/\|/g, '\\|');
}

/** Markdown: one column per dataset and number, the paper's in its own "paper" column; the notes below. */
export function tableToMarkdown(table: ResultsTable): string {
  const head = ['Method', ...table.columns.flatMap((c) => headerParts(c).map((p) => `${mdEscape(c.title)} ${p}`))];
  const lines = [`| ${head.join(' | ')} |`, `| --- |${' ---: |'.repeat(head.length - 1)}`];
  for (const row of table.rows) {
    lines.push(`| ${[mdEscape(rowName(row)), ...table.columns.flatMap((c, i) => rowParts(row, i, c, ' †'))].join(' | ')} |`);
  }
  return `${lines.join('\n')}\n\n${table.notes.join('\n')}\n`;
}

const LATEX_SPECIAL: Record<string, string> = { '\\': '\\textbackslash{}', '&': '\\&', '%': '\\%', $: '\\$', '#': '\\#', _: '\\_', '{': '\\{', '}': '\\}', '~': '\\textasciitilde{}', '^': '\\textasciicircum{}' };

function latexEscape(text: string): string {
  return text.replace(/[\\&%$#_{}~^]/g, (c) => LATEX_SPECIAL[c]).replace(/–/g, '--').replace(/ ± /g, ' $\\pm$ ').replace(/±/g, '$\\pm$').replace(/†/g, '$^\\dagger$');
}

/** LaTeX: a booktabs tabular (\usepackage{booktabs}), a column group per dataset; the notes as comments above. */
export function tableToLatex(table: ResultsTable): string {
  const widths = table.columns.map((c) => headerParts(c).length);
  const lines = [...table.notes.map((n) => `% ${n}`), `\\begin{tabular}{l${widths.map((w) => 'c'.repeat(w)).join('')}}`, '\\toprule'];
  let at = 2;
  const groups: string[] = [];
  const rules: string[] = [];
  table.columns.forEach((c, i) => {
    groups.push(`\\multicolumn{${widths[i]}}{c}{${latexEscape(c.title)}${c.paper && c.paper !== c.dataset ? ` (${c.paper})` : ''}}`);
    rules.push(`\\cmidrule(lr){${at}-${at + widths[i] - 1}}`);
    at += widths[i];
  });
  lines.push(` & ${groups.join(' & ')} \\\\`, rules.join(' '));
  lines.push(`Method & ${table.columns.flatMap((c) => headerParts(c).map(capitalised)).join(' & ')} \\\\`, '\\midrule');
  for (const row of table.rows) lines.push(`${[latexEscape(rowName(row)), ...table.columns.flatMap((c, i) => rowParts(row, i, c, '†').map(latexEscape))].join(' & ')} \\\\`);
  lines.push('\\bottomrule', '\\end{tabular}');
  return `${lines.join('\n')}\n`;
}

export const CSV_COLUMNS = [
  'method', 'fusion', 'label', 'settings', 'in_lab', 'dataset', 'paper_dataset', 'seeds', 'n', 'preset', 'epochs',
  'best_mean_pct', 'best_std_pct', 'final_mean_pct', 'final_std_pct', 'audio_mean_pct', 'audio_std_pct', 'visual_mean_pct', 'visual_std_pct',
  'best_rule', 'paper_pct', 'paper_source', 'modalities',
] as const;

function csvField(v: string): string {
  return /[",\n\r]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}

function pct(x: number): string {
  return Number.isFinite(x) ? String(Number((x * 100).toFixed(4))) : '';
}

/**
 * CSV: one line per row and dataset that has runs or a paper number; accuracies in percent (empty where none;
 * std empty for one seed is 0); `paper_pct` and `paper_source` (paper or BalanceBenchmark) are the published numbers;
 * `audio_*` / `visual_*` are the first / second branch, and `modalities` (last, so older columns keep their places)
 * says which kinds they are (`audio+rgb`, `audio+flow`, `rgb+flow`).
 */
export function tableToCsv(table: ResultsTable): string {
  const lines = [CSV_COLUMNS.join(',')];
  for (const row of table.rows) {
    table.columns.forEach((c, i) => {
      const cell = row.cells[i];
      const paper = row.paper[i];
      if (!cell && !paper) return;
      const stat = (s: Stat | undefined) => (s && s.n > 0 ? [pct(s.mean), pct(s.std)] : ['', '']);
      const values = [
        row.method, row.fusion, row.label, row.settings, row.inLab ? 'true' : 'false', c.dataset, c.paper ?? '',
        cell ? cell.seeds.join(' ') : '', cell ? String(cell.best.n) : '0', cell?.preset ?? '', cell ? String(cell.epochs) : '',
        ...stat(cell?.best), ...stat(cell?.final), ...stat(cell?.audio), ...stat(cell?.visual),
        cell?.rule ?? '', paper ? paper.acc.toFixed(2) : '', paper?.source ?? '', pairName(c.modalities),
      ];
      lines.push(values.map(csvField).join(','));
    });
  }
  return `${lines.join('\n')}\n`;
}

export type TableFormat = 'csv' | 'md' | 'latex';
export const TABLE_FORMATS: readonly TableFormat[] = ['csv', 'md', 'latex'];
export const TABLE_EXTENSIONS: Record<TableFormat, string> = { csv: 'csv', md: 'md', latex: 'tex' };

export function formatTable(table: ResultsTable, format: TableFormat): string {
  return format === 'csv' ? tableToCsv(table) : format === 'md' ? tableToMarkdown(table) : tableToLatex(table);
}
