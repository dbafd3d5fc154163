import { describe, expect, it } from 'vitest';
import { tableRun } from '../../test/support/tableRuns';
import { AUDIO_FLOW, AUDIO_RGB, RGB_FLOW } from './modalities';
import { buildResultsTable, MISSING_METHODS, PAPER_RESULTS, paperDatasetOf, tableToCsv, tableToLatex, tableToMarkdown } from './resultsTable';

/** Two ERM seeds and one AGM run on CREMA-D, one ERM run on the demo. */
const SMALL = [
  tableRun({ id: 'a', dataset: 'CREMA-D', config: { method: 'erm', seed: 0 }, test: [[0.5, 0.4, 0.2], [0.6, 0.5, 0.3]] }),
  tableRun({ id: 'b', dataset: 'CREMA-D', config: { method: 'erm', seed: 1 }, test: [[0.7, 0.5, 0.2], [0.62, 0.55, 0.25]] }),
  tableRun({ id: 'c', dataset: 'CREMA-D', config: { method: 'agm', seed: 0 }, test: [[0.65, 0.5, 0.4], [0.7, 0.52, 0.45]] }),
  tableRun({ id: 'd', dataset: 'demo', config: { method: 'erm', seed: 0 }, test: [[0.9, 0.8, 0.3]] }),
];

describe('the paper numbers', () => {
  it('are the paper Table 1-2 values and BalanceBenchmark two, marked by source', () => {
    const at = (method: string, fusion: string, dataset: string) => PAPER_RESULTS.find((p) => p.method === method && p.fusion === fusion && p.dataset === dataset);
    expect(at('bmm', 'concat', 'CREMA-D')).toMatchObject({ acc: 69.22, source: 'paper' });
    expect(at('ogm-ge', 'concat', 'CREMA-D')).toMatchObject({ acc: 68.55, source: 'paper' });
    expect(at('gblend', 'concat', 'Kinetics-Sounds')).toMatchObject({ acc: 51.46 });
    expect(at('bmm', 'decision', 'UCF-101')).toMatchObject({ acc: 82.47 });
    expect(at('erm', 'gated', 'CREMA-D')).toMatchObject({ acc: 60.89 });
    expect(at('agm', 'concat', 'CREMA-D')).toMatchObject({ acc: 71.59, source: 'BalanceBenchmark' });
    expect(at('mmpareto', 'concat', 'CREMA-D')).toMatchObject({ acc: 79.97, source: 'BalanceBenchmark' });
    expect(at('ogm', 'concat', 'CREMA-D')).toBeUndefined();
  });

  it('map datasets by name, the demo to none', () => {
    expect(paperDatasetOf('CREMA-D')).toBe('CREMA-D');
    expect(paperDatasetOf('crema_pack')).toBe('CREMA-D');
    expect(paperDatasetOf('Kinetics-Sounds')).toBe('Kinetics-Sounds');
    expect(paperDatasetOf('UCF101 flow')).toBe('UCF-101');
    expect(paperDatasetOf('Demo (synthetic audio-visual)')).toBeNull();
    const t = buildResultsTable([tableRun({ id: 'k', dataset: 'ks-pack', config: { method: 'erm' }, test: [[0.5, 0.5, 0.5]] })], { paperRows: false });
    expect(t.columns).toEqual([{ dataset: 'ks-pack', modalities: AUDIO_RGB, title: 'ks-pack', paper: null }]);
    const k = buildResultsTable([tableRun({ id: 'k', dataset: 'kinetics pack', config: { method: 'erm' }, test: [[0.5, 0.5, 0.5]] })], { paperRows: false });
    expect(k.rows[0].paper[0]?.acc).toBe(48.5);
    expect(k.notes).toContain("Datasets matched to the paper's by name: kinetics pack as the paper's Kinetics-Sounds.");
  });
});

describe('buildResultsTable', () => {
  it('lays out methods x datasets with mean ± std over seeds and the paper beside ours', () => {
    const t = buildResultsTable(SMALL, { paperRows: false });
    expect(t.columns).toEqual([
      { dataset: 'CREMA-D', modalities: AUDIO_RGB, title: 'CREMA-D', paper: 'CREMA-D' },
      { dataset: 'demo', modalities: AUDIO_RGB, title: 'demo', paper: null },
    ]);
    expect(t.rows.map((r) => r.label)).toEqual(['Concat', 'Concat + AGM']);
    const erm = t.rows[0].cells[0]!;
    expect(erm.seeds).toEqual([0, 1]);
    expect(erm.best.mean).toBeCloseTo(0.65);
    expect(erm.final.mean).toBeCloseTo(0.61);
    expect(erm.audio.mean).toBeCloseTo(0.525);
    expect(t.rows[0].paper[0]?.acc).toBe(60.62);
    expect(t.rows[1].cells[1]).toBeNull();
    expect(t.rule).toBe('test');
  });

  it('writes the exact Markdown', () => {
    expect(tableToMarkdown(buildResultsTable(SMALL, { paperRows: false }))).toBe(
      [
        '| Method | CREMA-D best | CREMA-D final | CREMA-D Audio | CREMA-D RGB | CREMA-D paper | demo best | demo final | demo Audio | demo RGB |',
        '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
        '| Concat | 65.0 ± 7.1 (2) | 61.0 ± 1.4 (2) | 52.5 ± 3.5 (2) | 27.5 ± 3.5 (2) | 60.62 | 90.0 (1) | 90.0 (1) | 80.0 (1) | 30.0 (1) |',
        '| Concat + AGM | 70.0 (1) | 70.0 (1) | 52.0 (1) | 45.0 (1) | 71.59 † | – | – | – | – |',
        '',
        'Test accuracy in %, mean ± std over seeds (n seeds); best: best test epoch (no validation split: optimistic); final: the last epoch; Audio, RGB: the final test accuracy of each unimodal head.',
        'paper: Mixup Helps Understanding Multimodal Video Better (Balanced Multimodal Mixup), Tables 1 and 2 (the mean of three seeds).',
        "†: BalanceBenchmark (the public benchmark of multimodal imbalance methods), CREMA-D, not the paper's.",
        '',
      ].join('\n'),
    );
  });

  it('writes the exact CSV', () => {
    expect(tableToCsv(buildResultsTable(SMALL, { paperRows: false }))).toBe(
      [
        'method,fusion,label,settings,in_lab,dataset,paper_dataset,seeds,n,preset,epochs,best_mean_pct,best_std_pct,final_mean_pct,final_std_pct,audio_mean_pct,audio_std_pct,visual_mean_pct,visual_std_pct,best_rule,paper_pct,paper_source,modalities',
        'erm,concat,Concat,,true,CREMA-D,CREMA-D,0 1,2,fast,2,65,7.0711,61,1.4142,52.5,3.5355,27.5,3.5355,test,60.62,paper,audio+rgb',
        'erm,concat,Concat,,true,demo,,0,1,fast,1,90,0,90,0,80,0,30,0,test,,,audio+rgb',
        'agm,concat,Concat + AGM,,true,CREMA-D,CREMA-D,0,1,fast,2,70,0,70,0,52,0,45,0,test,71.59,BalanceBenchmark,audio+rgb',
        '',
      ].join('\n'),
    );
  });

  it('writes the exact LaTeX (booktabs)', () => {
    expect(tableToLatex(buildResultsTable(SMALL, { paperRows: false }))).toBe(
      [
        '% Test accuracy in %, mean ± std over seeds (n seeds); best: best test epoch (no validation split: optimistic); final: the last epoch; Audio, RGB: the final test accuracy of each unimodal head.',
        '% paper: Mixup Helps Understanding Multimodal Video Better (Balanced Multimodal Mixup), Tables 1 and 2 (the mean of three seeds).',
        "% †: BalanceBenchmark (the public benchmark of multimodal imbalance methods), CREMA-D, not the paper's.",
        '\\begin{tabular}{lccccccccc}',
        '\\toprule',
        ' & \\multicolumn{5}{c}{CREMA-D} & \\multicolumn{4}{c}{demo} \\\\',
        '\\cmidrule(lr){2-6} \\cmidrule(lr){7-10}',
        'Method & Best & Final & Audio & RGB & Paper & Best & Final & Audio & RGB \\\\',
        '\\midrule',
        'Concat & 65.0 $\\pm$ 7.1 (2) & 61.0 $\\pm$ 1.4 (2) & 52.5 $\\pm$ 3.5 (2) & 27.5 $\\pm$ 3.5 (2) & 60.62 & 90.0 (1) & 90.0 (1) & 80.0 (1) & 30.0 (1) \\\\',
        'Concat + AGM & 70.0 (1) & 70.0 (1) & 52.0 (1) & 45.0 (1) & 71.59$^\\dagger$ & -- & -- & -- & -- \\\\',
        '\\bottomrule',
        '\\end{tabular}',
        '',
      ].join('\n'),
    );
  });

  it('names each column\'s unimodal numbers and the branch rows by the runs\' pair: RGB and Flow on UCF-101 as RGB + flow', () => {
    const ucf = [
      tableRun({ id: 'u1', dataset: 'UCF-101', modalities: RGB_FLOW, config: { method: 'erm', seed: 0 }, test: [[0.5, 0.4, 0.3]] }),
      tableRun({ id: 'u2', dataset: 'UCF-101', modalities: RGB_FLOW, config: { method: 'audio-only', unimodal: 'zero', seed: 0 }, test: [[0.4, 0.4, 0.1]] }),
    ];
    const t = buildResultsTable(ucf, { paperRows: false });
    expect(t.rows.map((r) => r.label)).toEqual(['Concat', 'Concat + RGB only']);
    const md = tableToMarkdown(t);
    expect(md).toMatch(/^\| Method \| UCF-101 best \| UCF-101 final \| UCF-101 RGB \| UCF-101 Flow \| UCF-101 paper \|$/m);
    expect(md).toContain('RGB, Flow: the final test accuracy of each unimodal head.');
    // The paper pairs RGB and flow on UCF-101 too: no note that ours differs.
    expect(t.notes.join('\n')).not.toMatch(/the paper pairs RGB frames with optical flow/);
    expect(tableToLatex(t)).toContain('Method & Best & Final & RGB & Flow & Paper');
    expect(tableToCsv(t).split('\n')[1].split(',').at(-1)).toBe('rgb+flow');
    const audioFlow = buildResultsTable([tableRun({ id: 'a', dataset: 'UCF-101', modalities: AUDIO_FLOW, config: { method: 'erm' }, test: [[0.5, 0.4, 0.3]] })], { paperRows: false });
    expect(audioFlow.notes).toContain('UCF-101: the paper pairs RGB frames with optical flow; UCF-101 pairs Audio + Flow.');
  });

  it('keeps one dataset trained as two pairs in two columns, and says "first branch" where the columns\' pairs differ', () => {
    const runs = [
      tableRun({ id: 'u1', dataset: 'UCF-101', modalities: RGB_FLOW, config: { method: 'visual-only', unimodal: 'zero', seed: 0 }, test: [[0.5, 0.1, 0.4]] }),
      tableRun({ id: 'u2', dataset: 'UCF-101', modalities: AUDIO_FLOW, config: { method: 'visual-only', unimodal: 'zero', seed: 0 }, test: [[0.3, 0.1, 0.3]] }),
    ];
    const t = buildResultsTable(runs, { paperRows: false });
    expect(t.columns.map((c) => c.title)).toEqual(['UCF-101 (RGB + Flow)', 'UCF-101 (Audio + Flow)']);
    expect(t.rows).toHaveLength(1);
    expect(t.rows[0].label).toBe('Concat + Second branch only');
    expect(t.rows[0].cells.map((c) => c?.final.mean)).toEqual([0.5, 0.3]);
    expect(t.notes).toContain('First and second branch: UCF-101 (RGB + Flow) RGB + Flow; UCF-101 (Audio + Flow) Audio + Flow.');
    expect(tableToMarkdown(t)).toContain('| UCF-101 (RGB + Flow) RGB | UCF-101 (RGB + Flow) Flow |');
    expect(tableToMarkdown(t)).toContain('| UCF-101 (Audio + Flow) Audio | UCF-101 (Audio + Flow) Flow |');
  });

  it('escapes dataset names for LaTeX and Markdown', () => {
    const t = buildResultsTable([tableRun({ id: 'x', dataset: 'my_set & 50% | b', config: { method: 'erm' }, test: [[0.5, 0.5, 0.5]] })]);
    expect(tableToLatex(t)).toContain('\\multicolumn{4}{c}{my\\_set \\& 50\\% | b}');
    expect(tableToMarkdown(t)).toContain('| my_set & 50% \\| b best |');
  });

  it('lists Table 2 and BalanceBenchmark rows on a paper dataset, the missing methods marked', () => {
    const t = buildResultsTable(SMALL);
    const labels = t.rows.map((r) => r.label);
    expect(labels).toEqual([
      'Concat', 'Concat + G-Blending', 'Concat + UMT', 'Concat + PMR', 'Concat + OGM-GE', 'Concat + Greedy', 'Concat + ATF', 'Concat + MM', 'Concat + B-MM', 'Concat + AGM', 'Concat + MMPareto',
    ]);
    expect(t.rows.filter((r) => !r.inLab).map((r) => r.method)).toEqual([...MISSING_METHODS]);
    expect(t.rows.find((r) => r.method === 'gblend')!.paper[0]?.acc).toBe(67.34);
    expect(tableToMarkdown(t)).toContain('| Concat + G-Blending | – | – | – | – | 67.34 |');
    expect(tableToMarkdown(t)).toContain('| Concat + ATF (not in the lab) | – | – | – | – | 64.25 |');
    expect(tableToMarkdown(t)).toContain('| Concat + UMT | – | – | – | – | 65.46 |');
    // Nothing on the demo alone: it is none of the paper's datasets.
    expect(buildResultsTable([SMALL[3]]).rows.map((r) => r.label)).toEqual(['Concat']);
  });

  it('keeps OGM and OGM-GE apart and names rows of one method that differ in settings', () => {
    const t = buildResultsTable(
      [
        tableRun({ id: '1', dataset: 'd', config: { method: 'ogm-ge', seed: 0 }, test: [[0.5, 0.5, 0.5]] }),
        tableRun({ id: '2', dataset: 'd', config: { method: 'ogm-ge', seed: 0, ogm: { mode: 'ogm' } }, test: [[0.6, 0.5, 0.5]] }),
        tableRun({ id: '3', dataset: 'd', config: { method: 'bmm', seed: 0 }, test: [[0.7, 0.5, 0.5]] }),
        tableRun({ id: '4', dataset: 'd', config: { method: 'bmm', seed: 0, bmm: { maxM: 1 } }, test: [[0.8, 0.5, 0.5]] }),
        tableRun({ id: '5', dataset: 'd', config: { method: 'erm', seed: 0, fusion: 'sum' }, test: [[0.4, 0.5, 0.5]] }),
      ],
      { paperRows: false },
    );
    expect(t.rows.map((r) => [r.label, r.settings])).toEqual([
      ['Concat + OGM-GE', ''],
      ['Concat + OGM', ''],
      ['Concat + B-MM', 'bmm.maxM 0.5'],
      ['Concat + B-MM', 'bmm.maxM 1'],
      ['Sum', ''],
    ]);
  });

  it('puts runs of other sizes on other datasets in one row, and splits them on one dataset', () => {
    const runs = [
      tableRun({ id: '1', dataset: 'CREMA-D', config: { method: 'erm', preset: 'paper', epochs: 1 }, test: [[0.5, 0.5, 0.5]] }),
      tableRun({ id: '2', dataset: 'demo', config: { method: 'erm', preset: 'fast', epochs: 1 }, test: [[0.6, 0.5, 0.5]] }),
    ];
    expect(buildResultsTable(runs, { paperRows: false }).rows).toHaveLength(1);
    const split = buildResultsTable([...runs, tableRun({ id: '3', dataset: 'demo', config: { method: 'erm', preset: 'tiny', epochs: 1 }, test: [[0.7, 0.5, 0.5]] })], { paperRows: false });
    expect(split.rows.map((r) => r.settings)).toEqual(['preset fast', 'preset paper', 'preset tiny']);
    const epochs = buildResultsTable([runs[1], tableRun({ id: '4', dataset: 'demo', config: { method: 'erm', preset: 'fast', epochs: 2 }, test: [[0.7, 0.5, 0.5], [0.7, 0.5, 0.5]] })]);
    expect(epochs.rows.map((r) => r.settings)).toEqual(['epochs 1', 'epochs 2']);
  });

  it('says which rule "best" used: validation, or mixed', () => {
    const withVal = tableRun({ id: 'v', dataset: 'd', config: { method: 'erm', seed: 0 }, test: [[0.9, 0.5, 0.5], [0.6, 0.5, 0.5]], val: [[0.3, 0.3, 0.3], [0.8, 0.3, 0.3]] });
    const t = buildResultsTable([withVal]);
    expect(t.rule).toBe('validation');
    expect(t.rows[0].cells[0]!.best.mean).toBeCloseTo(0.6);
    expect(t.notes[0]).toContain('best: test accuracy at the best validation epoch');
    const mixed = buildResultsTable([withVal, tableRun({ id: 'w', dataset: 'd', config: { method: 'erm', seed: 1 }, test: [[0.9, 0.5, 0.5]] })]);
    expect(mixed.rule).toBe('mixed');
    expect(mixed.notes[0]).toContain('best: mixed');
  });

  it('counts only finished runs', () => {
    const t = buildResultsTable([tableRun({ id: 's', dataset: 'd', config: { method: 'erm' }, test: [[0.5, 0.5, 0.5]], status: 'stopped' })]);
    expect(t.rows).toEqual([]);
    expect(t.rule).toBeNull();
  });
});
